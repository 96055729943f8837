"""Summaries of a run: the metrics of DESIGN.md as one flat-ish JSON object."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.driver import Simulation


def stats(values: list[float]) -> dict[str, float | None]:
    """median, p90, p99, max and count of ``values`` (None when empty)."""
    if not values:
        return {"n": 0, "median": None, "p90": None, "p99": None, "max": None, "mean": None}
    arr = np.asarray(values, dtype=float)
    return {
        "n": len(values),
        "median": _r(np.median(arr)),
        "p90": _r(np.percentile(arr, 90)),
        "p99": _r(np.percentile(arr, 99)),
        "max": _r(arr.max()),
        "mean": _r(arr.mean()),
    }


def _r(x: float) -> float:
    return round(float(x), 4)


def summarize(sim: Simulation) -> dict[str, Any]:
    sc = sim.scenario
    obs = sim.obs
    dur = sc.duration
    failovers = [
        {
            "at": _r(e.start),
            "cause": e.cause,
            "duration_s": _r(e.duration) if e.end else None,
            **e.detail,
        }
        for e in obs.failovers
    ]
    done = [
        e.duration for e in obs.failovers if e.duration is not None and not e.detail.get("empty")
    ]
    unfinished = sum(1 for e in obs.failovers if e.end is None)
    role_done = [e.duration for e in obs.role_episodes if e.duration is not None]
    joins = [e.duration for e in obs.joins if e.duration is not None]
    node_s = max(sim.node_seconds, 1e-9)
    n_fail = max(len(done), 1)
    return {
        "scenario": sc.name,
        "seed": sc.seed,
        "nodes": sc.nodes.count,
        "nodes_total": len(sim.nodes),
        "profile": sc.policy_profile,
        "duration_s": dur,
        "wall_s": round(sim.wall_s, 3),
        "sim_speed": round(dur / sim.wall_s, 2) if sim.wall_s > 0 else None,
        "formation_s": _r(obs.formed_at) if obs.formed_at is not None else None,
        "failovers": failovers,
        "failover_s": stats(done),
        "failovers_unfinished": unfinished,
        "handover_s": stats([e.duration for e in obs.handovers if e.duration is not None]),
        "false_failovers": len(obs.false_failovers),
        "false_failover_list": obs.false_failovers,
        "dual_queen_s": _r(obs.dual_total),
        "dual_queen_per_failover_s": _r(obs.dual_total / n_fail),
        "dual_queen_episodes": obs.dual_episodes,
        "queen_changes": obs.queen_changes,
        "role_convergence_s": stats(role_done),
        "role_episodes_unfinished": sum(1 for e in obs.role_episodes if e.end is None),
        "join_s": stats(joins),
        "joins_unfinished": sum(1 for e in obs.joins if e.end is None),
        "msgs_sent_per_node_s": _r(sim.sent_total / node_s),
        "msgs_recv_per_node_s": _r(sim.recv_total / node_s),
        "bytes_per_node_s": _r(sim.bytes_total / node_s),
        "messages_lost": sim.lost_total,
        "messages_dropped": sim.dropped,
        "invariant_violations": obs.violations,
        "skipped_faults": sim.skipped,
    }
