"""The simulator: metrics, invariants, faults and reproducibility."""

from __future__ import annotations

from typing import Any

import pytest

from aware.node import State
from sim import run as simrun
from sim.chaos import chaos_faults

BASE: dict[str, Any] = {
    "name": "t",
    "seed": 3,
    "duration": 60,
    "nodes": {
        "count": 30,
        "dna": {"cpu": [2, 4, 8, 16], "memory_gb": [4, 8, 16, 64], "disk_gb": [50, 200, 1000]},
        "zones": ["a", "b", "c"],
    },
    "network": {"latency_ms": {"mean": 1.0, "jitter": 0.5}, "loss": 0.01},
    "spec": {"template": "web"},
}


def run(overrides: dict[str, Any] | None = None, **top: Any) -> tuple[dict[str, Any], Any]:
    data = {**BASE, **top}
    return simrun.run(simrun.build(data, overrides=overrides))


def without_wall(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k not in ("wall_s", "sim_speed")}


def test_same_seed_same_result_and_another_seed_differs() -> None:
    faults = [{"every": 15, "from": 15, "action": "crash", "target": "queen"}]
    a, _ = run(faults=faults)
    b, _ = run(faults=faults)
    c, _ = run(faults=faults, seed=4)
    assert without_wall(a) == without_wall(b)
    assert without_wall(a) != without_wall(c)


def test_formation_and_failover_are_measured() -> None:
    s, sim = run(faults=[{"every": 15, "from": 15, "action": "crash", "target": "queen"}])
    assert s["formation_s"] is not None and s["formation_s"] < 3.0
    assert s["failover_s"]["n"] == 3
    assert 0.1 < s["failover_s"]["median"] < 1.0
    assert s["false_failovers"] == 0
    assert s["invariant_violations"] == []
    old = {f["old_queen"] for f in s["failovers"]}
    new = {f["new_queen"] for f in s["failovers"]}
    assert not old & {sim.current_queen().id}
    assert len(new) == 3


def test_partition_fission_and_fusion_with_a_spec_change() -> None:
    spec3 = {"template": "web", "roles": {"frontend": {"count": 3}}}
    s, sim = run(
        duration=80,
        faults=[
            {"at": 10, "action": "partition", "groups": [0.6, 0.4]},
            {"at": 20, "action": "spec", "spec": spec3, "target": "queen"},
            {"at": 40, "action": "heal"},
        ],
    )
    running = [sn for sn in sim.nodes if sn.running]
    queens = [sn.id for sn in running if sn.core.state is State.QUEEN]
    assert len(queens) == 1
    assert {sn.core.queen for sn in running} == {queens[0]}
    assert {sn.core.spec.version for sn in running} == {2}
    assert sum(sn.core.role == "frontend" for sn in running) == 3
    assert s["invariant_violations"] == []
    assert s["dual_queen_s"] < 1.0


def test_a_frozen_queen_is_replaced_and_steps_down_on_resume() -> None:
    s, sim = run(
        faults=[
            {"at": 10, "action": "freeze", "target": "queen"},
            {"at": 20, "action": "resume", "target": "all"},
        ]
    )
    assert s["failover_s"]["n"] == 1
    assert s["failovers"][0]["cause"] == "freeze"
    assert s["invariant_violations"] == []
    frozen = s["failovers"][0]["old_queen"]
    assert sim.by_id[frozen].core.state is State.WORKER


def test_joins_are_measured() -> None:
    s, _ = run(faults=[{"at": 10, "action": "join", "count": 5}])
    assert s["nodes_total"] == 35
    assert s["join_s"]["n"] == 5
    assert s["join_s"]["max"] < 2.0


def test_loss_of_a_holder_is_healed_in_time() -> None:
    s, _sim = run(faults=[{"at": 10, "action": "crash", "target": {"fraction": 0.2}}])
    assert s["role_convergence_s"]["n"] >= 1
    assert s["role_convergence_s"]["max"] < 3.0
    assert s["invariant_violations"] == []


def test_a_lossless_blackout_of_the_queen_is_a_false_failover() -> None:
    # every message lost for a second: the queen is alive but unheard
    s, _ = run(faults=[{"at": 10, "action": "loss", "rate": 1.0, "duration": 1.0}])
    assert s["false_failovers"] >= 1
    assert s["invariant_violations"] == []


def test_an_unworkable_policy_is_caught_by_the_invariants() -> None:
    # thresholds so high that no node ever self-selects: the colony stays queenless
    s, _ = run(policy={"profile": "LAN", "theta_queen": 1e6, "theta_growth": 1.0}, duration=30)
    names = {v["invariant"] for v in s["invariant_violations"]}
    assert "one-queen-per-component" in names
    assert s["formation_s"] is None


def test_sparse_topologies_work() -> None:
    s, _ = run(
        network={
            "latency_ms": {"mean": 1.0, "jitter": 0.2},
            "loss": 0.0,
            "topology": {"kind": "random_regular", "degree": 6},
        },
        faults=[{"at": 10, "action": "crash", "target": "queen"}],
    )
    assert s["failover_s"]["n"] == 1
    assert s["invariant_violations"] == []


@pytest.mark.parametrize("seed", [11, 12, 13, 14, 15])
def test_chaos_schedules_hold_the_invariants(seed: int) -> None:
    s, sim = run(
        seed=seed,
        duration=120,
        nodes={**BASE["nodes"], "count": 20},
        chaos={"faults": 8, "quiet": 30},
    )
    assert len(chaos_faults(sim.scenario)) >= 8
    assert s["invariant_violations"] == [], s["invariant_violations"]


def test_a_quiet_lossy_colony_raises_no_false_queens() -> None:
    s, _ = run(duration=300, nodes={**BASE["nodes"], "count": 40}, spec=None)
    assert s["false_failovers"] == 0
    assert s["queen_changes"] == 1
    assert s["dual_queen_s"] == 0.0


@pytest.mark.parametrize(
    ("topology", "field"),
    [
        ({"kind": "watts_strogatz", "k": "many"}, "network.topology.k"),
        ({"kind": "watts_strogatz", "p": 2}, "network.topology.p"),
        ({"kind": "random_regular", "degree": 1}, "network.topology.degree"),
        ({"kind": "star", "degree": 3}, "network.topology.degree"),
    ],
)
def test_topology_parameters_are_validated(topology: dict[str, Any], field: str) -> None:
    from sim.scenario import ScenarioError

    with pytest.raises(ScenarioError) as err:
        simrun.build({**BASE, "network": {"topology": topology}})
    assert err.value.field == field


def test_a_small_world_with_more_neighbours_than_nodes_still_runs() -> None:
    s, _ = run(
        nodes={**BASE["nodes"], "count": 5},
        duration=10,
        network={"topology": {"kind": "watts_strogatz", "k": 40, "p": 0.2}},
    )
    assert s["formation_s"] is not None
