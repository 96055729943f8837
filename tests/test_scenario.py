"""Scenario files: valid input parses into the right values; every invalid input is
rejected with a ScenarioError naming the exact dotted field; nothing else escapes."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aware.errors import ValidationError
from aware.params import LAN, WAN
from aware.spec import template
from sim.run import build, parse_assignment, read_raw, set_path
from sim.scenario import (
    ACTIONS,
    Scenario,
    ScenarioError,
    Target,
    load_scenario,
    parse_scenario,
    parse_target,
)

ROOT = Path(__file__).resolve().parent.parent
FAILOVER = ROOT / "experiments" / "failover-100.yaml"

# A small valid scenario in the schema of experiments/failover-100.yaml, with one fault of
# every kind, used as the base that the invalid-input table and the fuzzer modify.
BASE: dict[str, Any] = {
    "name": "base",
    "seed": 3,
    "duration": 120,
    "nodes": {
        "count": 12,
        "dna": {"cpu": [2, 4], "memory_gb": [8, 16], "disk_gb": 1000},
        "zones": ["a", "b"],
        "labels": {"rack": "r1"},
        "start_spread": 0.5,
    },
    "network": {
        "latency_ms": {"mean": 1.0, "jitter": 0.5},
        "loss": 0.01,
        "resolution_ms": 0.25,
        "topology": "complete",
    },
    "policy": {"profile": "LAN", "queen_beat": 0.2},
    "spec": {"template": "web"},
    "faults": [
        {"at": 10, "action": "crash", "target": "queen"},
        {"at": 20, "action": "freeze", "target": {"random": 2}},
        {"at": 25, "action": "resume"},
        {"at": 30, "action": "partition", "groups": [0.5, 0.5]},
        {"at": 40, "action": "heal"},
        {"at": 50, "action": "join", "count": 2},
        {"at": 60, "action": "loss", "rate": 0.2, "duration": 5},
        {"at": 70, "action": "spec", "spec": {"roles": {"db": {"count": 1}}}},
        {"at": 80, "action": "restart"},
        {"every": 10, "from": 90, "until": 100, "action": "shutdown", "target": {"fraction": 0.1}},
    ],
    "chaos": {"faults": 2, "quiet": 10},
    "convergence_window": 5,
    "sample_interval": 0.5,
    "description": "test base",
}


def with_(path: str, value: Any, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A deep copy of ``data`` (default BASE) with the dotted ``path`` set to ``value``.

    Path parts that are integers index lists (``faults.0.action``).
    """
    out = copy.deepcopy(BASE if data is None else data)
    *parents, last = path.split(".")
    cur: Any = out
    for part in parents:
        cur = cur[int(part)] if isinstance(cur, list) else cur.setdefault(part, {})
    if isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value
    return out


def without(path: str) -> dict[str, Any]:
    out = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    cur: Any = out
    for part in parents:
        cur = cur[int(part)] if isinstance(cur, list) else cur[part]
    del cur[last]
    return out


def minimal(**extra: Any) -> dict[str, Any]:
    return {"duration": 100, "nodes": {"count": 5}, **extra}


# =============================================================================== valid


def test_base_scenario_parses_every_section() -> None:
    sc = parse_scenario(BASE)
    assert isinstance(sc, Scenario)
    assert (sc.name, sc.seed, sc.duration) == ("base", 3, 120.0)
    assert sc.nodes.count == 12
    assert sc.nodes.zones == ("a", "b")
    assert sc.nodes.labels == {"rack": "r1"}
    assert sc.nodes.start_spread == 0.5
    assert sc.nodes.dna["cpu"] == [2, 4]
    assert sc.network.latency_mean == pytest.approx(0.001)
    assert sc.network.latency_jitter == pytest.approx(0.0005)
    assert sc.network.resolution == pytest.approx(0.00025)
    assert sc.network.loss == 0.01
    assert sc.network.topology == {"kind": "complete"}
    assert sc.policy_profile == "LAN"
    assert sc.policy.queen_beat == 0.2
    assert sc.policy.queen_half_life == LAN.queen_half_life
    assert sc.spec == template("web")
    assert sc.chaos is not None and (sc.chaos.faults, sc.chaos.quiet) == (2, 10.0)
    assert (sc.convergence_window, sc.sample_interval) == (5.0, 0.5)
    assert [f.at for f in sc.faults] == sorted(f.at for f in sc.faults)
    assert {f.action for f in sc.faults} == ACTIONS


def test_failover_experiment_file_loads() -> None:
    sc = load_scenario(FAILOVER)
    assert sc.name == "failover-100"
    assert sc.seed == 7
    assert sc.duration == 630.0
    assert sc.nodes.count == 100
    assert sc.nodes.zones == ("a", "b", "c")
    assert sc.nodes.dna == {
        "cpu": [2, 4, 8, 16],
        "memory_gb": [4, 8, 16, 64],
        "disk_gb": [50, 200, 1000],
    }
    assert sc.network.latency_mean == pytest.approx(0.001)
    assert sc.network.latency_jitter == pytest.approx(0.0005)
    assert sc.network.loss == 0.01
    assert sc.policy == LAN and sc.policy_profile == "LAN"
    assert sc.spec == template("web")
    assert [f.at for f in sc.faults] == [30.0 * k for k in range(1, 21)]
    assert all(f.action == "crash" and f.target == Target("queen") for f in sc.faults)


def test_minimal_scenario_gets_defaults() -> None:
    sc = parse_scenario(minimal())
    assert (sc.name, sc.seed) == ("scenario", 0)
    assert sc.policy == LAN and sc.policy_profile == "LAN"
    assert sc.spec is None and sc.chaos is None and sc.faults == ()
    assert sc.network.loss == 0.0
    assert sc.network.topology == {"kind": "complete"}
    assert sc.nodes.zones == () and sc.nodes.dna == {}


def test_shorthands() -> None:
    sc = parse_scenario(
        {
            "duration": 10,
            "nodes": 7,
            "network": {"latency_ms": 50, "topology": "star"},
            "policy": "wan",
            "chaos": True,
        }
    )
    assert sc.nodes.count == 7
    assert sc.network.latency_mean == pytest.approx(0.05)
    assert sc.network.latency_jitter == 0.0
    assert sc.network.topology == {"kind": "star"}
    assert sc.policy == WAN and sc.policy_profile == "WAN"
    assert sc.chaos is not None and sc.chaos.faults == 8
    assert parse_scenario(minimal(nodes={"count": 3, "zones": 3})).nodes.zones == ("z0", "z1", "z2")


@pytest.mark.parametrize(
    ("fault", "times"),
    [
        ({"every": 30, "from": 300, "until": 600}, [300.0 + 30 * k for k in range(11)]),
        ({"every": 30, "from": 300, "until": 610}, [300.0 + 30 * k for k in range(11)]),
        ({"every": 0.5, "from": 1, "until": 3}, [1.0, 1.5, 2.0, 2.5, 3.0]),
        # 'from' defaults to 'every'; 'until' defaults to the duration (100)
        ({"every": 25}, [25.0, 50.0, 75.0, 100.0]),
        ({"every": 40, "from": 0}, [0.0, 40.0, 80.0]),
        ({"at": 42}, [42.0]),
    ],
)
def test_periodic_faults_expand(fault: dict[str, Any], times: list[float]) -> None:
    sc = parse_scenario(minimal(faults=[{**fault, "action": "crash", "target": "queen"}]))
    assert [f.at for f in sc.faults] == pytest.approx(times)
    assert all(f.action == "crash" and f.target == Target("queen") for f in sc.faults)


def test_faults_are_sorted_across_items_and_keep_labels() -> None:
    sc = parse_scenario(
        minimal(
            faults=[
                {
                    "every": 20,
                    "from": 20,
                    "until": 60,
                    "action": "crash",
                    "target": "queen",
                    "label": "periodic",
                },
                {"at": 30, "action": "freeze", "target": "n003"},
                {"at": 5, "action": "restart"},
            ]
        )
    )
    assert [(f.at, f.action) for f in sc.faults] == [
        (5.0, "restart"),
        (20.0, "crash"),
        (30.0, "freeze"),
        (40.0, "crash"),
        (60.0, "crash"),
    ]
    assert [f.label for f in sc.faults if f.action == "crash"] == ["periodic"] * 3
    # restart and resume default to every node
    assert sc.faults[0].target == Target("all")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("queen", Target("queen")),
        ("all", Target("all")),
        ("n042", Target("node", node="n042")),
        ({"random": 3}, Target("random", count=3)),
        ({"fraction": 0.25}, Target("fraction", fraction=0.25)),
        ({"fraction": 1}, Target("fraction", fraction=1.0)),
    ],
)
def test_targets_parse(raw: Any, expected: Target) -> None:
    assert parse_target(raw, "t") == expected
    sc = parse_scenario(minimal(faults=[{"at": 1, "action": "crash", "target": raw}]))
    assert sc.faults[0].target == expected


def test_target_describe() -> None:
    assert Target("queen").describe() == "queen"
    assert Target("node", node="n001").describe() == "n001"
    assert Target("random", count=2).describe() == "random:2"
    assert Target("fraction", fraction=0.5).describe() == "fraction:0.5"


def test_partition_with_fractions() -> None:
    sc = parse_scenario(
        minimal(faults=[{"at": 5, "action": "partition", "groups": [0.5, 0.3, 0.2]}])
    )
    (fault,) = sc.faults
    assert fault.action == "partition" and fault.target is None
    assert fault.groups == (0.5, 0.3, 0.2)
    assert all(isinstance(g, float) for g in fault.groups)


def test_partition_with_node_lists() -> None:
    sc = parse_scenario(
        minimal(
            faults=[{"at": 5, "action": "partition", "groups": [["n000", "n001"], ["n002"], []]}]
        )
    )
    assert sc.faults[0].groups == (("n000", "n001"), ("n002",), ())


def test_other_fault_kinds_carry_their_values() -> None:
    sc = parse_scenario(BASE)
    by_action = {f.action: f for f in sc.faults}
    assert by_action["join"].count == 2
    assert (by_action["loss"].rate, by_action["loss"].duration) == (0.2, 5.0)
    spec_fault = by_action["spec"]
    assert spec_fault.spec is not None and spec_fault.spec.wanted == {"db": 1}
    assert spec_fault.target == Target("queen")  # spec changes go to the queen by default
    assert [f.at for f in sc.faults if f.action == "shutdown"] == [90.0, 100.0]


def test_spec_as_template_and_written_out() -> None:
    web = parse_scenario(minimal(spec={"template": "web"})).spec
    assert web == template("web")
    assert web is not None and web.wanted == {
        "frontend": 2,
        "middleware": 2,
        "database": 1,
        "storage": 1,
    }

    written = parse_scenario(
        minimal(
            spec={
                "name": "mine",
                "roles": {
                    "api": {"count": 3, "requires": {"cpu": 2, "zones": ["a"]}, "spread": True},
                    "db": {"count": 1, "requires": {"memory_gb": 16}, "prefer": "memory_gb"},
                    "cache": 2,
                },
            }
        )
    ).spec
    assert written is not None
    assert written.name == "mine"
    assert written.wanted == {"api": 3, "db": 1, "cache": 2}
    api, db = written.role("api"), written.role("db")
    assert api is not None and api.spread and api.requires.cpu == 2.0
    assert api.requires.zones == ("a",)
    assert db is not None and db.prefer == "memory_gb" and db.requires.memory_gb == 16.0

    tweaked = parse_scenario(
        minimal(spec={"template": "web", "roles": {"database": {"count": 3}}})
    ).spec
    assert tweaked is not None and tweaked.wanted["database"] == 3
    db = tweaked.role("database")
    assert db is not None and db.requires.memory_gb == 16.0  # rest of the template kept


def test_with_seed() -> None:
    sc = parse_scenario(BASE)
    other = sc.with_seed(99)
    assert other.seed == 99 and sc.seed == 3
    assert other.faults == sc.faults and other.nodes == sc.nodes


# =============================================================================== invalid

INVALID: list[tuple[str, Any, str]] = [
    # top level
    ("not a mapping", [1, 2], "scenario"),
    ("none", None, "scenario"),
    ("unknown top-level field", with_("colour", "red"), "colour"),
    ("name not a string", with_("name", 5), "name"),
    ("negative seed", with_("seed", -1), "seed"),
    ("float seed", with_("seed", 1.5), "seed"),
    ("missing duration", without("duration"), "duration"),
    ("zero duration", with_("duration", 0), "duration"),
    ("negative duration", with_("duration", -10), "duration"),
    ("string duration", with_("duration", "10"), "duration"),
    ("bool duration", with_("duration", True), "duration"),
    ("nan duration", with_("duration", math.nan), "duration"),
    ("infinite duration", with_("duration", math.inf), "duration"),
    ("negative convergence window", with_("convergence_window", -1), "convergence_window"),
    ("zero sample interval", with_("sample_interval", 0), "sample_interval"),
    # nodes
    ("missing nodes", without("nodes"), "nodes"),
    ("nodes a list", with_("nodes", [1]), "nodes"),
    ("negative count", with_("nodes.count", -5), "nodes.count"),
    ("zero count", with_("nodes.count", 0), "nodes.count"),
    ("huge count", with_("nodes.count", 100_001), "nodes.count"),
    ("float count", with_("nodes.count", 2.5), "nodes.count"),
    ("missing count", without("nodes.count"), "nodes.count"),
    ("unknown nodes field", with_("nodes.colour", 1), "nodes.colour"),
    ("unknown dna trait", with_("nodes.dna.gpu", 1), "nodes.dna.gpu"),
    ("non-positive dna", with_("nodes.dna.cpu", [2, 0]), "nodes.dna.cpu"),
    ("empty dna choices", with_("nodes.dna.cpu", []), "nodes.dna.cpu"),
    ("dna not a mapping", with_("nodes.dna", [1]), "nodes.dna"),
    ("zones not strings", with_("nodes.zones", [1, 2]), "nodes.zones"),
    ("labels not a mapping", with_("nodes.labels", ["a"]), "nodes.labels"),
    ("negative start spread", with_("nodes.start_spread", -1), "nodes.start_spread"),
    # network
    ("network not a mapping", with_("network", "fast"), "network"),
    ("unknown network field", with_("network.bandwidth", 1), "network.bandwidth"),
    ("loss above 1", with_("network.loss", 1.5), "network.loss"),
    ("negative loss", with_("network.loss", -0.1), "network.loss"),
    (
        "jitter above mean",
        with_("network.latency_ms", {"mean": 1, "jitter": 2}),
        "network.latency_ms.jitter",
    ),
    ("negative mean", with_("network.latency_ms", {"mean": -1}), "network.latency_ms.mean"),
    ("latency a list", with_("network.latency_ms", [1]), "network.latency_ms"),
    ("zero resolution", with_("network.resolution_ms", 0), "network.resolution_ms"),
    ("unknown topology", with_("network.topology", "ring"), "network.topology.kind"),
    # policy
    ("negative policy parameter", with_("policy.queen_beat", -1), "policy.queen_beat"),
    ("string policy parameter", with_("policy.queen_beat", "fast"), "policy.queen_beat"),
    ("unknown policy parameter", with_("policy.warp_speed", 9), "policy.warp_speed"),
    ("unknown profile", with_("policy.profile", "MARS"), "policy.profile"),
    ("cross-field policy check", with_("policy.queen_threshold", 1.5), "policy.queen_threshold"),
    ("policy a list", with_("policy", [1]), "policy"),
    # spec
    (
        "negative role count",
        with_("spec.roles", {"database": {"count": -1}}),
        "spec.roles.database.count",
    ),
    ("unknown template", with_("spec", {"template": "mail"}), "spec.template"),
    ("unknown spec field", with_("spec.colour", 1), "spec.colour"),
    ("bad role name", with_("spec", {"roles": {"Bad Name": 1}}), "spec.roles.Bad Name"),
    (
        "bad requirement",
        with_("spec", {"roles": {"db": {"count": 1, "requires": {"cpu": -1}}}}),
        "spec.roles.db.requires.cpu",
    ),
    # faults
    ("faults not a list", with_("faults", "crash"), "faults"),
    ("fault not a mapping", with_("faults.0", "crash"), "faults[0]"),
    ("unknown action", with_("faults.0.action", "explode"), "faults[0].action"),
    ("missing action", without("faults.0.action"), "faults[0].action"),
    ("crash without target", without("faults.1.target"), "faults[1].target"),
    ("bad target mapping", with_("faults.1.target", {"some": 2}), "faults[1].target"),
    ("empty target", with_("faults.1.target", ""), "faults[1].target"),
    ("target a number", with_("faults.1.target", 3), "faults[1].target"),
    ("zero random target", with_("faults.1.target", {"random": 0}), "faults[1].target.random"),
    (
        "fraction target above 1",
        with_("faults.1.target", {"fraction": 1.5}),
        "faults[1].target.fraction",
    ),
    (
        "zero fraction target",
        with_("faults.1.target", {"fraction": 0}),
        "faults[1].target.fraction",
    ),
    ("unknown fault field", with_("faults.0.when", 3), "faults[0].when"),
    ("missing at", without("faults.0.at"), "faults[0].at"),
    ("negative at", with_("faults.0.at", -1), "faults[0].at"),
    ("zero period", with_("faults.9.every", 0), "faults[9].every"),
    ("negative from", with_("faults.9.from", -5), "faults[9].from"),
    ("string until", with_("faults.9.until", "end"), "faults[9].until"),
    (
        "partition fractions not summing to 1",
        with_("faults.3.groups", [0.5, 0.4]),
        "faults[3].groups",
    ),
    ("partition fractions above 1", with_("faults.3.groups", [0.7, 0.7]), "faults[3].groups"),
    ("negative partition fraction", with_("faults.3.groups", [1.5, -0.5]), "faults[3].groups"),
    ("single partition group", with_("faults.3.groups", [1.0]), "faults[3].groups"),
    ("mixed partition groups", with_("faults.3.groups", [0.5, ["n001"]]), "faults[3].groups"),
    ("missing partition groups", without("faults.3.groups"), "faults[3].groups"),
    ("non-string node ids", with_("faults.3.groups", [[1], [2]]), "faults[3].groups"),
    ("zero join count", with_("faults.5.count", 0), "faults[5].count"),
    ("loss rate above 1", with_("faults.6.rate", 2), "faults[6].rate"),
    ("loss without duration", without("faults.6.duration"), "faults[6].duration"),
    (
        "bad spec change",
        with_("faults.7.spec", {"roles": {"db": {"count": -1}}}),
        "faults[7].spec.roles.db.count",
    ),
    # chaos
    ("chaos not a mapping", with_("chaos", "yes"), "chaos"),
    ("negative chaos faults", with_("chaos.faults", -1), "chaos.faults"),
    ("unknown chaos field", with_("chaos.storms", 1), "chaos.storms"),
]


@pytest.mark.parametrize(("data", "field"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_scenarios_name_the_field(data: Any, field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    err = info.value
    assert err.field == field
    assert isinstance(err.reason, str) and err.reason.strip()
    assert isinstance(err, ValidationError)
    assert str(err).startswith(f"{field}: ")


def test_base_is_valid() -> None:
    """The table's inputs are invalid because of their one change: BASE itself is valid."""
    assert isinstance(parse_scenario(copy.deepcopy(BASE)), Scenario)


# ----------------------------------------------------------------------------- files


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_load_valid_file(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "name: tiny\nduration: 5\nnodes: {count: 3}\n"
        "faults:\n  - {at: 1, action: crash, target: queen}\n",
    )
    sc = load_scenario(p)
    assert (sc.name, sc.nodes.count, len(sc.faults)) == ("tiny", 3, 1)
    assert load_scenario(str(p)) == sc


@pytest.mark.parametrize("loader", [load_scenario, build], ids=["load_scenario", "build"])
def test_bad_yaml_file(tmp_path: Path, loader: Callable[[Path], Scenario]) -> None:
    p = write(tmp_path, "name: x\nnodes: [\n  count: 3\n")
    with pytest.raises(ScenarioError) as info:
        loader(p)
    assert info.value.field == "file"
    assert "YAML" in info.value.reason and "line" in info.value.reason


@pytest.mark.parametrize("loader", [load_scenario, build], ids=["load_scenario", "build"])
def test_missing_file(tmp_path: Path, loader: Callable[[Path], Scenario]) -> None:
    p = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as info:
        loader(p)
    assert info.value.field == "file"
    assert "nope.yaml" in info.value.reason


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    assert info.value.field == "file" and info.value.reason


@pytest.mark.parametrize(
    "text", ["", "- 1\n- 2\n", "just a string\n"], ids=["empty", "list", "scalar"]
)
def test_file_without_a_mapping(tmp_path: Path, text: str) -> None:
    p = write(tmp_path, text)
    for loader in (load_scenario, build):
        with pytest.raises(ScenarioError) as info:
            loader(p)
        assert info.value.field == "scenario" and info.value.reason


def test_file_with_invalid_field(tmp_path: Path) -> None:
    p = write(tmp_path, "duration: 10\nnodes: {count: -5}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert info.value.field == "nodes.count"


# ============================================================================ fixed bugs
# Regression tests for bugs in sim/scenario.py found while writing these tests (they
# were strict xfails until fixed).

HUGE = 10**400  # a valid YAML integer, too large for a float


@pytest.mark.parametrize("action", [["crash"], {"crash": 1}], ids=["list", "mapping"])
def test_known_bug_unhashable_action(action: Any) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(with_("faults.0.action", action))
    assert info.value.field == "faults[0].action"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (with_("duration", HUGE), "duration"),
        (with_("network.loss", HUGE), "network.loss"),
        (with_("faults.3.groups", [HUGE, 1]), "faults[3].groups"),
    ],
    ids=["duration", "network.loss", "partition"],
)
def test_known_bug_huge_integers(data: Any, field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    assert info.value.field == field


def test_known_bug_nan_partition_fractions() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(with_("faults.3.groups", [math.nan, math.nan]))
    assert info.value.field == "faults[3].groups"


@pytest.mark.parametrize(
    ("data", "field"),
    [(with_("spec", 3), "spec"), (without("faults.7.spec"), "faults[7].spec")],
    ids=["top-level", "spec-fault"],
)
def test_known_bug_spec_field_doubled(data: Any, field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (with_("faults", {}), "faults"),
        (with_("network", []), "network"),
        (with_("policy", 0), "policy"),
        (with_("nodes.labels", []), "nodes.labels"),
    ],
    ids=["faults", "network", "policy", "nodes.labels"],
)
def test_known_bug_falsy_wrong_types_accepted(data: Any, field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    assert info.value.field == field


@pytest.mark.parametrize("loader", [load_scenario, build], ids=["load_scenario", "build"])
def test_known_bug_non_utf8_file(tmp_path: Path, loader: Callable[[Path], Scenario]) -> None:
    p = tmp_path / "latin1.yaml"
    p.write_bytes(b"name: caf\xe9\nduration: 10\nnodes: 3\n")
    with pytest.raises(ScenarioError) as info:
        loader(p)
    assert info.value.field == "file"


# ============================================================================ property

VOCAB = sorted(
    {
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
        "count",
        "dna",
        "zones",
        "labels",
        "start_spread",
        "cpu",
        "memory_gb",
        "disk_gb",
        "latency_ms",
        "mean",
        "jitter",
        "loss",
        "resolution_ms",
        "topology",
        "kind",
        "profile",
        "queen_beat",
        "template",
        "web",
        "roles",
        "requires",
        "prefer",
        "spread",
        "at",
        "every",
        "from",
        "until",
        "action",
        "target",
        "groups",
        "rate",
        "label",
        "queen",
        "all",
        "random",
        "fraction",
        "LAN",
        "WAN",
        "quiet",
        *ACTIONS,
    }
)

# Integers beyond float range are covered by test_known_bug_huge_integers.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(),  # NaN and infinities included: YAML has .nan and .inf
    st.text(max_size=6),
    st.sampled_from(VOCAB),
)
keys = st.one_of(st.sampled_from(VOCAB), st.text(max_size=6))
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


BASE_PATHS = [p for p in _paths(BASE) if p]


@st.composite
def near_valid(draw: st.DrawFn) -> Any:
    """BASE with one to three values replaced, deleted, or given an extra key."""
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(BASE_PATHS))
        cur: Any = data
        try:
            for part in path[:-1]:
                cur = cur[part]
            how = draw(st.sampled_from(["replace", "delete", "add"]))
            if how == "replace":
                cur[path[-1]] = draw(json_like)
            elif how == "delete":
                del cur[path[-1]]
            elif isinstance(cur, dict):
                cur[draw(keys)] = draw(json_like)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed or replaced this path
    return data


def check_parse_contract(data: Any) -> None:
    try:
        result = parse_scenario(data)
    except ValidationError as err:
        assert isinstance(err.field, str)
        assert isinstance(err.reason, str) and err.reason
        return
    assert isinstance(result, Scenario)
    assert result.nodes.count >= 1 and result.duration > 0
    assert [f.at for f in result.faults] == sorted(f.at for f in result.faults)


@settings(max_examples=200)
@given(json_like)
def test_arbitrary_data_is_parsed_or_rejected_cleanly(data: Any) -> None:
    check_parse_contract(data)


@settings(max_examples=200)
@given(near_valid())
def test_near_valid_data_is_parsed_or_rejected_cleanly(data: Any) -> None:
    check_parse_contract(data)


# ============================================================================ sim.run


def test_build_from_file_with_dotted_overrides() -> None:
    plain = build(FAILOVER)
    sc = build(FAILOVER, overrides={"nodes.count": 20, "network.loss": 0.0})
    assert sc.nodes.count == 20
    assert sc.network.loss == 0.0
    assert plain.nodes.count == 100 and plain.network.loss == 0.01
    # everything else is untouched
    assert sc.seed == plain.seed == 7
    assert sc.duration == plain.duration
    assert sc.faults == plain.faults
    assert sc.network.latency_mean == plain.network.latency_mean
    assert sc.nodes.dna == plain.nodes.dna and sc.spec == plain.spec


def test_build_seed_override() -> None:
    assert build(FAILOVER).seed == 7
    assert build(FAILOVER, seed=42).seed == 42
    assert build(FAILOVER, seed=0).seed == 0
    # the seed argument wins over a 'seed' override
    assert build(FAILOVER, seed=5, overrides={"seed": 9}).seed == 5
    assert build(FAILOVER, overrides={"seed": 9}).seed == 9


def test_build_overrides_create_nested_mappings() -> None:
    sc = build(
        minimal(),
        overrides={
            "network.latency_ms.mean": 2.0,
            "policy.queen_beat": 0.3,
            "spec.template": "web",
            "name": "x",
        },
    )
    assert sc.network.latency_mean == pytest.approx(0.002)
    assert sc.policy.queen_beat == 0.3
    assert sc.spec == template("web")
    assert sc.name == "x"


def test_build_does_not_modify_its_input() -> None:
    data = copy.deepcopy(BASE)
    build(data, seed=11, overrides={"nodes.count": 99, "network.latency_ms.mean": 3.0})
    assert data == BASE


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"network.loss": 2}, "network.loss"),
        ({"nodes.count": -5}, "nodes.count"),
        ({"policy.queen_beat": 0}, "policy.queen_beat"),
        ({"nodes.count.x": 1}, "nodes.count.x"),  # cannot set inside a number
        ({"bogus": 1}, "bogus"),
    ],
)
def test_build_bad_overrides(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        build(FAILOVER, overrides=overrides)
    assert info.value.field == field and info.value.reason


def test_build_bad_seed() -> None:
    with pytest.raises(ScenarioError) as info:
        build(FAILOVER, seed=-1)
    assert info.value.field == "seed"


def test_set_path() -> None:
    data: dict[str, Any] = {"a": {"b": 1}}
    set_path(data, "a.c.d", 2)
    set_path(data, "e", 3)
    assert data == {"a": {"b": 1, "c": {"d": 2}}, "e": 3}
    with pytest.raises(ScenarioError) as info:
        set_path(data, "a.b.x", 4)
    assert info.value.field == "a.b.x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nodes.count=50", ("nodes.count", 50)),
        ("network.loss=0.0", ("network.loss", 0.0)),
        ("name=a=b", ("name", "a=b")),
        (" policy.profile = wan", ("policy.profile", "wan")),
        ("nodes.zones=[a, b]", ("nodes.zones", ["a", "b"])),
        ("spec={template: web}", ("spec", {"template": "web"})),
        ("duration=", ("duration", None)),
    ],
)
def test_parse_assignment(text: str, expected: tuple[str, Any]) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize(("text", "field"), [("nodes.count", "--set"), ("name=[a", "name")])
def test_parse_assignment_errors(text: str, field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_assignment(text)
    assert info.value.field == field and info.value.reason


def test_read_raw_returns_the_mapping() -> None:
    raw = read_raw(FAILOVER)
    assert raw["name"] == "failover-100"
    assert raw["faults"] == [
        {"every": 30, "from": 30, "until": 600, "action": "crash", "target": "queen"}
    ]
