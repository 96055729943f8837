"""Signals (pheromones): small, versioned messages whose strength decays lazily.

A sensed level is never stored and decremented; it is computed on demand as
``strength * 2 ** (-age / half_life)``. Ages are measured on the receiver's own
clock from the moment of receipt, so unsynchronised clocks between hosts never
distort what a node senses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """Signal kinds the colony understands."""

    PRESENCE = "presence"  # alive and idle, with a DNA summary
    ROLE = "role"  # alive and holding the role named in payload["role"]
    QUEEN = "queen"  # the queen's pheromone: inhibits others from ruling
    CANDIDATE = "candidate"  # a node that self-selected, before it rules
    HANDOVER = "handover"  # a leaving queen names its successor
    LEAVE = "leave"  # a node leaves gracefully
    SPEC = "spec"  # the desired cluster, versioned, re-emitted by every holder


LIVENESS_KINDS = frozenset({Kind.PRESENCE, Kind.ROLE, Kind.QUEEN, Kind.CANDIDATE})


@dataclass(frozen=True, slots=True)
class Signal:
    """One pheromone emission.

    ``seq`` increases by one per emission of the sender (any kind), so gaps show
    and replays can be refused; ``incarnation`` (the start time of the sender's
    current life) orders the signals of a restarted node after its old ones.
    ``emitted`` is the sender's clock, used only for sanity checks by drivers.
    ``payload`` is a small JSON-like mapping.
    """

    sender: str
    kind: Kind
    seq: int
    emitted: float
    incarnation: float = 0.0
    strength: float = 1.0
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def stamp(self) -> tuple[float, int]:
        return (self.incarnation, self.seq)


def level(strength: float, age: float, half_life: float) -> float:
    """The sensed level of a signal of ``strength`` received ``age`` seconds ago."""
    if age <= 0.0:
        return strength
    return float(strength * 2.0 ** (-age / half_life))


def time_to_fall(strength: float, threshold: float, half_life: float) -> float:
    """Seconds until a signal of ``strength`` decays below ``threshold``."""
    if strength <= threshold:
        return 0.0
    return half_life * math.log2(strength / threshold)
