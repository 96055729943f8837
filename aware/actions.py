"""Outputs of the node state machine: what the driver must carry out or may report."""

from __future__ import annotations

from dataclasses import dataclass

from aware.signals import Signal


@dataclass(frozen=True, slots=True)
class Emit:
    """Publish ``signal`` to every peer."""

    signal: Signal


@dataclass(frozen=True, slots=True)
class BecomeCandidate:
    """This node self-selected for the queen's role and announces its candidacy."""

    rank: int


@dataclass(frozen=True, slots=True)
class BecomeQueen:
    """This node now rules, under ``term``."""

    term: int


@dataclass(frozen=True, slots=True)
class Abdicate:
    """This node stops ruling (or withdraws its candidacy); ``reason`` says why."""

    reason: str
    successor: str | None = None


@dataclass(frozen=True, slots=True)
class TakeRole:
    """This node starts doing the work role ``role``."""

    role: str


@dataclass(frozen=True, slots=True)
class LeaveRole:
    """This node stops doing ``role``; ``reason`` says why."""

    role: str
    reason: str


@dataclass(frozen=True, slots=True)
class AdoptSpec:
    """This node now holds spec ``version`` (``submitted`` when a user gave it here)."""

    version: int
    digest: str
    submitted: bool = False


@dataclass(frozen=True, slots=True)
class QueenChanged:
    """This node's view of the queen changed (``None``: no queen sensed)."""

    queen: str | None
    term: int


@dataclass(frozen=True, slots=True)
class PeerJoined:
    """A peer was heard for the first time (or again after it expired)."""

    peer: str


@dataclass(frozen=True, slots=True)
class PeerLost:
    """A peer expired or left; ``reason`` is 'expired' or 'left'."""

    peer: str
    reason: str


@dataclass(frozen=True, slots=True)
class Stopped:
    """The node finished its graceful shutdown."""


Action = (
    Emit
    | BecomeCandidate
    | BecomeQueen
    | Abdicate
    | TakeRole
    | LeaveRole
    | AdoptSpec
    | QueenChanged
    | PeerJoined
    | PeerLost
    | Stopped
)
