"""Render experiments/results/bench-sim.json as the README's Markdown table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

res = json.loads((Path(__file__).parent / "results" / "bench-sim.json").read_text())
fo, q, rc = res["failover"], res["quiet"], res["role_convergence"]
rows = [
    (
        f"Failover, 100 nodes (n={fo['n']} crashes)",
        f"median {fo['median']:.3f} s, p90 {fo['p90']:.3f} s, p99 {fo['p99']:.3f} s, "
        f"max {fo['max']:.3f} s",
        "median ≤ 0.6 s, p99 ≤ 1.5 s",
    ),
    ("Dual-queen time per failover", f"{fo['dual_queen_per_failover_s']:.3f} s", "≤ 0.2 s"),
    ("False failovers, fault-free simulated hour", str(q["false_failovers"]), "0"),
    (
        "Formation, 100 nodes, web spec (10 seeds)",
        f"median {res['formation_100']['median']:.3f} s, max {res['formation_100']['max']:.3f} s",
        "≤ 3 s",
    ),
    (
        f"Role convergence after node loss (n={rc['n']})",
        f"median {rc['median']:.3f} s, p90 {rc['p90']:.3f} s, max {rc['max']:.3f} s",
        "≤ 2 s",
    ),
    (
        "Sim speed, 100 nodes, one simulated hour",
        f"{q['wall_s']:.1f} s wall = {q['sim_speed']:.0f}x real time "
        f"(median of {', '.join(f'{w:.1f}' for w in q.get('wall_s_all', []))} s)",
        "≤ 30 s (≥ 120x)",
    ),
]
if "nodes_1000" in res:
    n = res["nodes_1000"]
    rows.append(
        (
            "1000 nodes from cold start (60 s: formation, 2 failovers)",
            f"formation {n['formation_s']:.3f} s, failover median "
            f"{n['failover_s']['median']:.3f} s, {n['sim_speed']:.1f}x real time",
            "≥ 10x",
        )
    )
if "steady_1000" in res:
    st = res["steady_1000"]
    rows.append(
        (
            "1000 nodes, formed colony (60 s after a 150 s warm-up)",
            f"{st['window_wall_s']:.1f} s wall = {st['sim_speed']:.1f}x real time, "
            f"{st['deliveries_per_s']:,} deliveries/s",
            "≥ 10x",
        )
    )
c = res["chaos"]
rows.append(
    (
        f"Chaos, 50 nodes × {c['schedules']} schedules",
        f"{c['violating']} schedules with violations",
        "0",
    )
)
rows.append(
    (
        "Message load, 100 nodes, steady state",
        f"sent {q['msgs_sent_per_node_s']:.2f}, received {q['msgs_recv_per_node_s']:.1f} "
        f"signals/node/s, {q['bytes_per_node_s'] / 1000:.1f} kB/node/s",
        "—",
    )
)
out = ["| measure | result | target |", "|---|---|---|"]
out += [f"| {a} | {b} | {t} |" for a, b, t in rows]
sys.stdout.write("\n".join(out) + "\n")
