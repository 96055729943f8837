"""DNA: a node's traits (capacity, labels, zone) and the instincts derived from them.

Fitness ranks nodes for the queen's role; suitability ranks them for a work role.
Both are pure functions of the traits, so every node computes the same ranking of
its peers from their presence signals.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aware.errors import ValidationError

TRAITS = ("cpu", "memory_gb", "disk_gb")


@dataclass(frozen=True, slots=True)
class DNA:
    """The traits a node is born with."""

    cpu: float = 1.0
    memory_gb: float = 1.0
    disk_gb: float = 10.0
    labels: Mapping[str, str] = field(default_factory=dict)
    zone: str = ""

    def __post_init__(self) -> None:
        for name in TRAITS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValidationError(name, f"must be a number, got {value!r}")
            # a chained comparison rejects NaN, infinities and ints too large for a float
            if not 0 < value <= sys.float_info.max:
                raise ValidationError(name, f"must be a positive number, got {value!r}")

    def trait(self, name: str) -> float:
        """The numeric trait called ``name`` (one of TRAITS)."""
        return float(getattr(self, name))

    def fitness(self) -> float:
        """Fitness to rule: more cores and memory make a better queen (log-scaled)."""
        return _fitness(self.cpu, self.memory_gb)

    def summary(self) -> dict[str, Any]:
        """The compact form carried in presence signals."""
        out: dict[str, Any] = {"c": self.cpu, "m": self.memory_gb, "d": self.disk_gb}
        if self.labels:
            out["l"] = dict(self.labels)
        if self.zone:
            out["z"] = self.zone
        return out

    @classmethod
    def from_summary(cls, data: Mapping[str, Any]) -> DNA:
        """Inverse of :meth:`summary`; raises ValidationError on malformed input."""
        fast_key = None
        if type(data) is dict and "l" not in data:
            # fast path for the common unlabelled summary; DNA is immutable, so a colony
            # of N nodes that parses N^2 summaries builds only N distinct objects
            c, m, d, z = (
                data.get("c", 1.0),
                data.get("m", 1.0),
                data.get("d", 10.0),
                data.get("z", ""),
            )
            tc, tm, td = type(c), type(m), type(d)
            if tc in _NUMS and tm in _NUMS and td in _NUMS and type(z) is str:
                fast_key = (tc, c, tm, m, td, d, z)  # types in the key: True must not pass as 1
                hit = _SUMMARIES.get(fast_key)
                if hit is not None:
                    return hit
        if not isinstance(data, Mapping):
            raise ValidationError("dna", "must be a mapping")
        labels = data.get("l", {})
        zone = data.get("z", "")
        if not isinstance(labels, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
        ):
            raise ValidationError("dna.labels", "must map strings to strings")
        if not isinstance(zone, str):
            raise ValidationError("dna.zone", "must be a string")
        key = (
            data.get("c", 1.0),
            data.get("m", 1.0),
            data.get("d", 10.0),
            zone,
            tuple(sorted(labels.items())),
        )
        try:
            dna = _cached_dna(key)
        except TypeError:  # an unhashable trait value: let the constructor explain
            return cls(cpu=key[0], memory_gb=key[1], disk_gb=key[2], labels=dict(labels), zone=zone)
        if fast_key is not None:
            if len(_SUMMARIES) >= 4096:
                _SUMMARIES.clear()
            _SUMMARIES[fast_key] = dna
        return dna

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "dna") -> DNA:
        """Build DNA from a user-written mapping (cpu, memory_gb, disk_gb, labels, zone)."""
        if not isinstance(data, Mapping):
            raise ValidationError(where, "must be a mapping")
        unknown = set(data) - {*TRAITS, "labels", "zone"}
        if unknown:
            raise ValidationError(f"{where}.{min(unknown, key=str)}", "unknown trait")
        labels = data.get("labels", {}) or {}
        if not isinstance(labels, Mapping):
            raise ValidationError(f"{where}.labels", "must be a mapping of strings")
        try:
            return cls(
                cpu=data.get("cpu", 1.0),
                memory_gb=data.get("memory_gb", 1.0),
                disk_gb=data.get("disk_gb", 10.0),
                labels={str(k): str(v) for k, v in labels.items()},
                zone=str(data.get("zone", "") or ""),
            )
        except ValidationError as err:
            raise err.within(where) from None


_NUMS = (int, float)
_SUMMARIES: dict[tuple[Any, ...], DNA] = {}


@functools.lru_cache(maxsize=4096)
def _cached_dna(key: tuple[Any, Any, Any, str, tuple[tuple[str, str], ...]]) -> DNA:
    """DNA is immutable: a colony of N nodes parses N^2 summaries, only N distinct ones."""
    cpu, mem, disk, zone, labels = key
    return DNA(cpu=cpu, memory_gb=mem, disk_gb=disk, labels=dict(labels), zone=zone)


@functools.lru_cache(maxsize=4096)
def _fitness(cpu: float, memory_gb: float) -> float:
    return round(math.log2(1.0 + cpu) + 0.5 * math.log2(1.0 + memory_gb), 6)
