"""Cluster specs: the desired colony, as roles with counts and requirements.

A spec is validated at construction; :func:`parse_spec` turns user input (YAML or
JSON already parsed into dicts) into a :class:`ClusterSpec` or raises a
:class:`~aware.errors.SpecError` naming the field and the reason.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aware.dna import DNA, TRAITS
from aware.errors import SpecError

MAX_ROLES = 64
MAX_COUNT = 100_000
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True, slots=True)
class Requirements:
    """What a node's DNA must offer to hold a role."""

    cpu: float = 0.0
    memory_gb: float = 0.0
    disk_gb: float = 0.0
    labels: Mapping[str, str] = field(default_factory=dict)
    zones: tuple[str, ...] = ()

    def met_by(self, dna: DNA) -> bool:
        """True when ``dna`` satisfies every requirement."""
        if dna.cpu < self.cpu or dna.memory_gb < self.memory_gb or dna.disk_gb < self.disk_gb:
            return False
        if self.zones and dna.zone not in self.zones:
            return False
        return all(dna.labels.get(k) == v for k, v in self.labels.items())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {t: getattr(self, t) for t in TRAITS if getattr(self, t)}
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.zones:
            out["zones"] = list(self.zones)
        return out


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """One role of the cluster: how many holders, what they need, what is preferred."""

    name: str
    count: int
    requires: Requirements = field(default_factory=Requirements)
    prefer: str = ""  # a trait to maximise among eligible nodes ("" = overall fitness)
    spread: bool = False  # spread holders over zones

    def suitability(self, dna: DNA) -> float:
        """How well ``dna`` fits this role beyond its requirements (higher is better)."""
        if self.prefer:
            return round(math.log2(1.0 + dna.trait(self.prefer)), 6)
        return dna.fitness()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"count": self.count}
        req = self.requires.to_dict()
        if req:
            out["requires"] = req
        if self.prefer:
            out["prefer"] = self.prefer
        if self.spread:
            out["spread"] = True
        return out


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """The desired cluster: an ordered tuple of roles."""

    name: str
    roles: tuple[RoleSpec, ...] = ()

    def __post_init__(self) -> None:
        names = [r.name for r in self.roles]
        if len(set(names)) != len(names):
            raise SpecError("roles", "role names must be unique")

    def role(self, name: str) -> RoleSpec | None:
        for r in self.roles:
            if r.name == name:
                return r
        return None

    @property
    def wanted(self) -> dict[str, int]:
        return {r.name: r.count for r in self.roles}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "roles": {r.name: r.to_dict() for r in self.roles}}

    def digest(self) -> str:
        """A short, stable content hash (hex) used to order equal versions."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


@dataclass(frozen=True, slots=True)
class VersionedSpec:
    """A spec with the version it was published under.

    Specs are ordered by ``key``: version, then issue time, then digest, so any two
    nodes agree on which of two specs is newer, even after a partition in which both
    sides published the same version number.
    """

    spec: ClusterSpec
    version: int
    issued_at: float
    origin: str
    digest: str = ""

    def __post_init__(self) -> None:
        if not self.digest:
            object.__setattr__(self, "digest", self.spec.digest())

    @property
    def key(self) -> tuple[int, float, str]:
        return (self.version, self.issued_at, self.digest)

    def to_payload(self) -> dict[str, Any]:
        return {
            "v": self.version,
            "t": self.issued_at,
            "o": self.origin,
            "spec": self.spec.to_dict(),
        }

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> VersionedSpec:
        if not isinstance(data, Mapping):
            raise SpecError("spec", "payload must be a mapping")
        version, issued, origin = data.get("v"), data.get("t"), data.get("o")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise SpecError("spec.v", "version must be a positive integer")
        if (
            isinstance(issued, bool)
            or not isinstance(issued, int | float)
            or not abs(issued) <= sys.float_info.max  # NaN, infinities, huge ints
        ):
            raise SpecError("spec.t", "issue time must be a finite number")
        if not isinstance(origin, str):
            raise SpecError("spec.o", "origin must be a string")
        return cls(parse_spec(data.get("spec")), version, float(issued), origin)


# --------------------------------------------------------------------------- parsing

WEB_TEMPLATE: dict[str, Any] = {
    "name": "web",
    "roles": {
        "frontend": {"count": 2, "requires": {"cpu": 2}, "spread": True},
        "middleware": {"count": 2, "requires": {"cpu": 4, "memory_gb": 8}},
        "database": {
            "count": 1,
            "requires": {"memory_gb": 16, "disk_gb": 200},
            "prefer": "memory_gb",
        },
        "storage": {"count": 1, "requires": {"disk_gb": 1000}, "prefer": "disk_gb"},
    },
}
TEMPLATES: dict[str, dict[str, Any]] = {"web": WEB_TEMPLATE}


def template(name: str) -> ClusterSpec:
    """A built-in spec by name (``web``)."""
    if name not in TEMPLATES:
        raise SpecError("template", f"unknown template {name!r} (known: {', '.join(TEMPLATES)})")
    return parse_spec(TEMPLATES[name])


def parse_spec(data: Any) -> ClusterSpec:
    """Validate user input and build a ClusterSpec.

    Accepts ``{template: web}`` (optionally with ``roles`` that override or add to the
    template's roles, and a ``name``), or ``{name: ..., roles: {NAME: {...}}}``.
    """
    if not isinstance(data, Mapping):
        raise SpecError("spec", "must be a mapping with 'roles' or 'template'")
    unknown = set(data) - {"name", "roles", "template"}
    if unknown:
        first = str(min(unknown, key=str))  # YAML keys need not be strings
        raise SpecError(first, "unknown field (expected name, roles, template)")
    roles_in: dict[str, Any] = {}
    name = "custom"
    if "template" in data:
        tname = data["template"]
        if not isinstance(tname, str) or tname not in TEMPLATES:
            raise SpecError(
                "template", f"unknown template {tname!r} (known: {', '.join(TEMPLATES)})"
            )
        base = TEMPLATES[tname]
        name = base["name"]
        roles_in.update(base["roles"])
    if "name" in data:
        if not isinstance(data["name"], str) or not data["name"]:
            raise SpecError("name", "must be a non-empty string")
        name = data["name"]
    extra = data.get("roles", {})
    if extra is None:
        extra = {}
    if not isinstance(extra, Mapping):
        raise SpecError("roles", "must be a mapping of role name to role")
    for rname, rdata in extra.items():
        if rname in roles_in and isinstance(rdata, Mapping):
            merged = dict(roles_in[rname])
            merged.update(rdata)
            roles_in[rname] = merged
        else:
            roles_in[rname] = rdata
    if "template" not in data and "roles" not in data:
        raise SpecError("roles", "missing: a spec needs 'roles' or a 'template'")
    if len(roles_in) > MAX_ROLES:
        raise SpecError("roles", f"at most {MAX_ROLES} roles")
    roles = tuple(_parse_role(rname, rdata) for rname, rdata in roles_in.items())
    return ClusterSpec(name=name, roles=roles)


def _parse_role(name: Any, data: Any) -> RoleSpec:
    where = f"roles.{name}"
    if not isinstance(name, str) or not name or not set(name) <= _NAME_CHARS:
        raise SpecError(where, "role names use lowercase letters, digits, '-' and '_'")
    if isinstance(data, int) and not isinstance(data, bool):
        data = {"count": data}
    if not isinstance(data, Mapping):
        raise SpecError(where, "must be a mapping (count, requires, prefer, spread) or a count")
    unknown = set(data) - {"count", "requires", "prefer", "spread"}
    if unknown:
        raise SpecError(f"{where}.{min(unknown, key=str)}", "unknown field")
    count = data.get("count")
    if isinstance(count, bool) or not isinstance(count, int):
        raise SpecError(f"{where}.count", f"must be an integer, got {count!r}")
    if not 0 <= count <= MAX_COUNT:
        raise SpecError(f"{where}.count", f"must be between 0 and {MAX_COUNT}")
    prefer = data.get("prefer", "") or ""
    if prefer and prefer not in TRAITS:
        raise SpecError(f"{where}.prefer", f"must be one of {', '.join(TRAITS)}")
    spread = data.get("spread", False)
    if spread in ("zones", "zone"):
        spread = True
    if not isinstance(spread, bool):
        raise SpecError(f"{where}.spread", "must be true or false")
    requires = _parse_requirements(data.get("requires", {}) or {}, f"{where}.requires")
    return RoleSpec(name=name, count=count, requires=requires, prefer=prefer, spread=spread)


def _parse_requirements(data: Any, where: str) -> Requirements:
    if not isinstance(data, Mapping):
        raise SpecError(where, "must be a mapping")
    unknown = set(data) - {*TRAITS, "labels", "zones"}
    if unknown:
        raise SpecError(f"{where}.{min(unknown, key=str)}", "unknown requirement")
    values: dict[str, float] = {}
    for trait in TRAITS:
        v = data.get(trait, 0)
        number = isinstance(v, int | float) and not isinstance(v, bool)
        if not number or not 0 <= v <= sys.float_info.max:  # NaN, inf, huge ints fail too
            raise SpecError(f"{where}.{trait}", f"must be a number >= 0, got {v!r}")
        values[trait] = float(v)
    labels = data.get("labels", {}) or {}
    if not isinstance(labels, Mapping):
        raise SpecError(f"{where}.labels", "must be a mapping of strings")
    zones = data.get("zones", []) or []
    if isinstance(zones, str):
        zones = [zones]
    if not isinstance(zones, list) or not all(isinstance(z, str) for z in zones):
        raise SpecError(f"{where}.zones", "must be a list of zone names")
    return Requirements(
        cpu=values["cpu"],
        memory_gb=values["memory_gb"],
        disk_gb=values["disk_gb"],
        labels={str(k): str(v) for k, v in labels.items()},
        zones=tuple(zones),
    )
