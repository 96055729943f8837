"""Inputs to the node state machine: frozen, slotted dataclasses carrying ``now``."""

from __future__ import annotations

from dataclasses import dataclass

from aware.signals import Signal
from aware.spec import ClusterSpec, VersionedSpec


@dataclass(frozen=True, slots=True)
class Start:
    """The node starts (or restarts with no memory)."""

    now: float


@dataclass(frozen=True, slots=True)
class Tick:
    """Time has passed; the driver calls this at or after ``node.next_deadline``."""

    now: float


@dataclass(frozen=True, slots=True)
class SignalReceived:
    """A signal arrived from a peer (already authenticated by the driver)."""

    now: float
    signal: Signal


@dataclass(frozen=True, slots=True)
class SubmitSpec:
    """A user submitted a new desired cluster through this node."""

    now: float
    spec: ClusterSpec


@dataclass(frozen=True, slots=True)
class RestoreSpec:
    """The driver hands back a spec this node held before a restart (from disk)."""

    now: float
    spec: VersionedSpec


@dataclass(frozen=True, slots=True)
class Handover:
    """An operator asks the queen to hand her role to the fittest peer and stay on."""

    now: float


@dataclass(frozen=True, slots=True)
class Shutdown:
    """Graceful stop: a queen hands over, a worker releases its role."""

    now: float


Event = Start | Tick | SignalReceived | SubmitSpec | RestoreSpec | Handover | Shutdown
