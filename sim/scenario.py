"""Scenario files: what to simulate, fully determined with a seed.

A scenario is YAML (see ``experiments/*.yaml`` and the README's schema section).
:func:`load_scenario` validates it and raises :class:`ScenarioError` naming the
field and the reason; it never lets a traceback escape for bad input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from aware.errors import ValidationError
from aware.params import PolicyParams, profile
from aware.spec import ClusterSpec, parse_spec

ACTIONS = {
    "crash",
    "restart",
    "freeze",
    "resume",
    "partition",
    "heal",
    "join",
    "loss",
    "spec",
    "shutdown",
}
TARGETED = {"crash", "restart", "freeze", "resume", "shutdown"}


class ScenarioError(ValidationError):
    """A scenario file is invalid."""


@dataclass(frozen=True, slots=True)
class Target:
    """Which nodes a fault hits: queen, a node id, K random, a fraction, or all."""

    kind: str  # "queen" | "node" | "random" | "fraction" | "all"
    node: str = ""
    count: int = 0
    fraction: float = 0.0

    def describe(self) -> str:
        if self.kind == "node":
            return self.node
        if self.kind == "random":
            return f"random:{self.count}"
        if self.kind == "fraction":
            return f"fraction:{self.fraction}"
        return self.kind


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault at one moment (periodic faults are expanded when loaded)."""

    at: float
    action: str
    target: Target | None = None
    groups: tuple[Any, ...] = ()  # partition: fractions or lists of node ids
    count: int = 0  # join
    rate: float = 0.0  # loss burst
    duration: float = 0.0  # loss burst
    spec: ClusterSpec | None = None  # spec change
    label: str = ""


@dataclass(frozen=True, slots=True)
class NodesConfig:
    count: int
    dna: Mapping[str, Any] = field(default_factory=dict)  # trait -> value or list of choices
    zones: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    start_spread: float = 0.0  # nodes start uniformly over [0, start_spread] seconds


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    latency_mean: float = 0.001  # seconds
    latency_jitter: float = 0.0005  # seconds: latency ~ U(mean - jitter, mean + jitter)
    loss: float = 0.0
    resolution: float = 0.00025  # arrival times are rounded up to this grid (batching)
    topology: Mapping[str, Any] = field(default_factory=lambda: {"kind": "complete"})


@dataclass(frozen=True, slots=True)
class ChaosConfig:
    """Random fault schedules, drawn from the seed (see :mod:`sim.chaos`)."""

    faults: int = 8
    quiet: float = 30.0  # fault-free time at the end, for invariants to be checked


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    seed: int
    duration: float
    nodes: NodesConfig
    network: NetworkConfig = field(default_factory=NetworkConfig)
    policy: PolicyParams = field(default_factory=PolicyParams)
    policy_profile: str = "LAN"
    spec: ClusterSpec | None = None
    faults: tuple[Fault, ...] = ()
    chaos: ChaosConfig | None = None
    convergence_window: float = 10.0  # invariants are checked this long after a fault
    sample_interval: float = 1.0  # timeline sampling for plots
    source: Mapping[str, Any] = field(default_factory=dict)

    def with_seed(self, seed: int) -> Scenario:
        return replace(self, seed=seed)


# ----------------------------------------------------------------------------- parsing


def read_yaml(path: str | Path) -> dict[str, Any]:
    """A YAML file holding a mapping, or ScenarioError('file' / 'scenario', why)."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as err:
        raise ScenarioError("file", f"cannot read {p}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise ScenarioError("file", f"{p} is not valid UTF-8") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError("file", f"{p} is not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise ScenarioError("scenario", f"{p} must hold a mapping")
    return data


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    return parse_scenario(read_yaml(path))


def parse_scenario(data: Any) -> Scenario:
    """Validate a scenario given as parsed YAML/JSON."""
    if not isinstance(data, Mapping):
        raise ScenarioError("scenario", "must be a mapping")
    known = {
        "name",
        "seed",
        "duration",
        "nodes",
        "network",
        "policy",
        "spec",
        "faults",
        "chaos",
        "convergence_window",
        "sample_interval",
        "description",
    }
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise ScenarioError(unknown[0], "unknown field")
    name = data.get("name", "scenario")
    if not isinstance(name, str):
        raise ScenarioError("name", "must be a string")
    seed = _int(data.get("seed", 0), "seed", lo=0)
    duration = _num(data.get("duration"), "duration", lo=0.0, strict=True)
    nodes = _nodes(data.get("nodes"))
    network = _network(_opt(data, "network", {}))
    prof_name, policy = _policy(_opt(data, "policy", {}))
    spec = _spec(data["spec"], "spec") if data.get("spec") is not None else None
    faults = _faults(_opt(data, "faults", []), duration)
    chaos = _chaos(data["chaos"]) if data.get("chaos") is not None else None
    window = _num(data.get("convergence_window", 10.0), "convergence_window", lo=0.0)
    sample = _num(data.get("sample_interval", 1.0), "sample_interval", lo=0.0, strict=True)
    return Scenario(
        name,
        seed,
        duration,
        nodes,
        network,
        policy,
        prof_name,
        spec,
        faults,
        chaos,
        window,
        sample,
        dict(data),
    )


def _prefixed(prefix: str, err: ValidationError) -> tuple[str, str]:
    return (f"{prefix}.{err.field}" if err.field else prefix, err.reason)


def _opt(data: Mapping[str, Any], key: str, default: Any) -> Any:
    """``data[key]``, or ``default`` if it is missing or null: only None means "default"."""
    v = data.get(key)
    return default if v is None else v


def _spec(v: Any, where: str) -> ClusterSpec:
    try:
        return parse_spec(v)
    except ValidationError as err:
        if not isinstance(v, Mapping):  # parse_spec names the whole spec "spec"
            raise ScenarioError(where, err.reason) from None
        raise ScenarioError(*_prefixed(where, err)) from None


def _finite(v: Any) -> bool:
    """A finite number that fits in a float (bools are not numbers here)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an int beyond float range
        return False


def _num(
    v: Any, where: str, lo: float | None = None, hi: float | None = None, strict: bool = False
) -> float:
    if v is None:
        raise ScenarioError(where, "missing")
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ScenarioError(where, f"must be a number, got {v!r}")
    if not _finite(v):
        got = f"got {v!r}" if isinstance(v, float) else "got an integer beyond float range"
        raise ScenarioError(where, f"must be a finite number, {got}")
    if lo is not None and (v < lo or (strict and v == lo)):
        raise ScenarioError(where, f"must be {'>' if strict else '>='} {lo}, got {v!r}")
    if hi is not None and v > hi:
        raise ScenarioError(where, f"must be <= {hi}, got {v!r}")
    return float(v)


def _int(v: Any, where: str, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ScenarioError(where, f"must be an integer, got {v!r}")
    if lo is not None and v < lo:
        raise ScenarioError(where, f"must be >= {lo}, got {v!r}")
    if hi is not None and v > hi:
        raise ScenarioError(where, f"must be <= {hi}, got {v!r}")
    return v


def _nodes(data: Any) -> NodesConfig:
    if isinstance(data, int) and not isinstance(data, bool):
        data = {"count": data}
    if not isinstance(data, Mapping):
        raise ScenarioError("nodes", "must be a mapping with at least 'count'")
    unknown = sorted(
        str(k) for k in data if k not in {"count", "dna", "zones", "labels", "start_spread"}
    )
    if unknown:
        raise ScenarioError(f"nodes.{unknown[0]}", "unknown field")
    count = _int(data.get("count"), "nodes.count", lo=1, hi=100_000)
    dna = _opt(data, "dna", {})
    if not isinstance(dna, Mapping):
        raise ScenarioError("nodes.dna", "must be a mapping of trait to value or list of values")
    for trait, values in dna.items():
        if trait not in ("cpu", "memory_gb", "disk_gb"):
            raise ScenarioError(f"nodes.dna.{trait}", "unknown trait (cpu, memory_gb, disk_gb)")
        choices = values if isinstance(values, list) else [values]
        if not choices:
            raise ScenarioError(f"nodes.dna.{trait}", "needs at least one value")
        for c in choices:
            _num(c, f"nodes.dna.{trait}", lo=0.0, strict=True)
    zones = _opt(data, "zones", [])
    if isinstance(zones, int) and not isinstance(zones, bool):
        zones = [f"z{i}" for i in range(zones)]
    if not isinstance(zones, list) or not all(isinstance(z, str) for z in zones):
        raise ScenarioError("nodes.zones", "must be a list of zone names or a number of zones")
    labels = _opt(data, "labels", {})
    if not isinstance(labels, Mapping):
        raise ScenarioError("nodes.labels", "must be a mapping")
    spread = _num(data.get("start_spread", 0.0), "nodes.start_spread", lo=0.0)
    return NodesConfig(
        count, dict(dna), tuple(zones), {str(k): str(v) for k, v in labels.items()}, spread
    )


def _network(data: Any) -> NetworkConfig:
    if not isinstance(data, Mapping):
        raise ScenarioError("network", "must be a mapping")
    unknown = sorted(
        str(k) for k in data if k not in {"latency_ms", "loss", "resolution_ms", "topology"}
    )
    if unknown:
        raise ScenarioError(f"network.{unknown[0]}", "unknown field")
    lat = data.get("latency_ms", {"mean": 1.0, "jitter": 0.5})
    if isinstance(lat, int | float) and not isinstance(lat, bool):
        lat = {"mean": lat, "jitter": 0.0}
    if not isinstance(lat, Mapping):
        raise ScenarioError("network.latency_ms", "must be a number or {mean, jitter}")
    mean = _num(lat.get("mean", 1.0), "network.latency_ms.mean", lo=0.0)
    jitter = _num(lat.get("jitter", 0.0), "network.latency_ms.jitter", lo=0.0)
    if jitter > mean:
        raise ScenarioError("network.latency_ms.jitter", "must not exceed the mean")
    loss = _num(data.get("loss", 0.0), "network.loss", lo=0.0, hi=1.0)
    res = _num(data.get("resolution_ms", 0.25), "network.resolution_ms", lo=0.0, strict=True)
    topo = data.get("topology", {"kind": "complete"})
    if isinstance(topo, str):
        topo = {"kind": topo}
    if not isinstance(topo, Mapping) or topo.get("kind") not in TOPOLOGIES:
        raise ScenarioError("network.topology.kind", f"must be one of {', '.join(TOPOLOGIES)}")
    allowed = {"kind"} | set(TOPOLOGY_PARAMS.get(topo["kind"], ()))
    for key, value in topo.items():
        where = f"network.topology.{key}"
        if key not in allowed:
            raise ScenarioError(where, f"not a parameter of {topo['kind']} topologies")
        if key in ("degree", "k"):
            _int(value, where, lo=2, hi=10_000)
        elif key == "p":
            _num(value, where, lo=0.0, hi=1.0)
    return NetworkConfig(mean / 1000.0, jitter / 1000.0, loss, res / 1000.0, dict(topo))


TOPOLOGIES = ("complete", "random_regular", "watts_strogatz", "grid", "star")
TOPOLOGY_PARAMS = {"random_regular": ("degree",), "watts_strogatz": ("k", "p")}


def _policy(data: Any) -> tuple[str, PolicyParams]:
    if isinstance(data, str):
        data = {"profile": data}
    if not isinstance(data, Mapping):
        raise ScenarioError("policy", "must be a mapping (profile and/or parameters)")
    name = data.get("profile", "LAN")
    try:
        base = profile(str(name))
        overrides = {k: v for k, v in data.items() if k != "profile"}
        return str(name).upper(), base.with_overrides(overrides)
    except ValidationError as err:
        raise ScenarioError(*_prefixed("policy", err)) from None
    except TypeError as err:
        raise ScenarioError("policy", str(err)) from None


def _chaos(data: Any) -> ChaosConfig:
    if data is True:
        data = {}
    if not isinstance(data, Mapping):
        raise ScenarioError("chaos", "must be a mapping (faults, quiet)")
    unknown = sorted(str(k) for k in data if k not in {"faults", "quiet"})
    if unknown:
        raise ScenarioError(f"chaos.{unknown[0]}", "unknown field")
    return ChaosConfig(
        _int(data.get("faults", 8), "chaos.faults", lo=0, hi=10_000),
        _num(data.get("quiet", 30.0), "chaos.quiet", lo=0.0),
    )


def parse_target(v: Any, where: str) -> Target:
    if v == "queen" or v == "all":
        return Target(v)
    if isinstance(v, str) and v:
        return Target("node", node=v)
    if isinstance(v, Mapping) and len(v) == 1:
        ((k, n),) = v.items()
        if k == "random":
            return Target("random", count=_int(n, f"{where}.random", lo=1))
        if k == "fraction":
            return Target(
                "fraction", fraction=_num(n, f"{where}.fraction", lo=0.0, hi=1.0, strict=True)
            )
    raise ScenarioError(where, "must be queen, all, a node id, {random: K} or {fraction: F}")


def _faults(items: Any, duration: float) -> tuple[Fault, ...]:
    if not isinstance(items, list):
        raise ScenarioError("faults", "must be a list")
    out: list[Fault] = []
    for i, item in enumerate(items):
        where = f"faults[{i}]"
        if not isinstance(item, Mapping):
            raise ScenarioError(where, "must be a mapping")
        out.extend(_fault(item, where, duration))
    out.sort(key=lambda f: f.at)
    return tuple(out)


def _fault(item: Mapping[str, Any], where: str, duration: float) -> list[Fault]:
    known = {
        "at",
        "every",
        "from",
        "until",
        "action",
        "target",
        "groups",
        "count",
        "rate",
        "duration",
        "spec",
        "label",
    }
    unknown = sorted(str(k) for k in item if k not in known)
    if unknown:
        raise ScenarioError(f"{where}.{unknown[0]}", "unknown field")
    action = item.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise ScenarioError(f"{where}.action", f"must be one of {', '.join(sorted(ACTIONS))}")
    target = None
    if action in TARGETED:
        default = "all" if action in ("restart", "resume") else None
        raw = item.get("target", default)
        if raw is None:
            raise ScenarioError(f"{where}.target", f"missing: {action} needs a target")
        target = parse_target(raw, f"{where}.target")
    groups: tuple[Any, ...] = ()
    if action == "partition":
        groups = _groups(item.get("groups"), f"{where}.groups")
    count = _int(item.get("count", 1), f"{where}.count", lo=1) if action == "join" else 0
    rate = dur = 0.0
    if action == "loss":
        rate = _num(item.get("rate"), f"{where}.rate", lo=0.0, hi=1.0)
        dur = _num(item.get("duration"), f"{where}.duration", lo=0.0, strict=True)
    spec = None
    if action == "spec":
        spec = _spec(item.get("spec"), f"{where}.spec")
        target = parse_target(item.get("target", "queen"), f"{where}.target")
    label = str(item.get("label", ""))
    if "every" in item:
        every = _num(item["every"], f"{where}.every", lo=0.0, strict=True)
        start = _num(item.get("from", every), f"{where}.from", lo=0.0)
        until = _num(item.get("until", duration), f"{where}.until", lo=0.0)
        times = []
        t = start
        while t <= until + 1e-9 and len(times) < 100_000:
            times.append(t)
            t = start + every * len(times)
    else:
        times = [_num(item.get("at"), f"{where}.at", lo=0.0)]
    return [Fault(t, action, target, groups, count, rate, dur, spec, label) for t in times]


def _groups(v: Any, where: str) -> tuple[Any, ...]:
    if not isinstance(v, list) or len(v) < 2:
        raise ScenarioError(where, "must list at least two groups (fractions or node id lists)")
    if all(isinstance(g, int | float) and not isinstance(g, bool) for g in v):
        if not all(_finite(g) for g in v):
            raise ScenarioError(where, "fractions must be finite numbers")
        if any(g <= 0 for g in v) or abs(sum(v) - 1.0) > 1e-6:
            raise ScenarioError(where, "fractions must be positive and sum to 1")
        return tuple(float(g) for g in v)
    if all(isinstance(g, list) and all(isinstance(n, str) for n in g) for g in v):
        return tuple(tuple(g) for g in v)
    raise ScenarioError(where, "must be all fractions or all lists of node ids")
