"""Render experiments/results/bench-runtime.json as the README's Markdown table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

r = json.loads((Path(__file__).parent / "results" / "bench-runtime.json").read_text())
f, st, sim = r["failover"], r["steady"], r["sim"]
rows = [
    (
        f"Failover, {r['nodes']} daemons (n={f['n']} SIGKILLs of the queen)",
        f"median {f['median']:.3f} s, p90 {f['p90']:.3f} s, max {f['max']:.3f} s",
        "median ≤ 0.6 s",
    ),
    (
        f"Formation of {r['nodes']} daemons",
        f"{r['formation_after_all_up_s']:.2f} s once all processes run; "
        f"{r['formation_from_launch_s']:.2f} s from launch ({r['launch_s']:.2f} s of it is "
        f"starting {r['nodes']} Python processes on 2 cores)",
        "≤ 2 s",
    ),
    (
        "Join (process launch until the queen lists it and it follows the queen)",
        f"median {r['join_s']:.2f} s of {len(r.get('join_all_s', [0]))} joins "
        f"({', '.join(f'{j:.2f}' for j in r.get('join_all_s', []))})",
        "≤ 1 s",
    ),
    (
        "Worker daemon CPU, steady state",
        f"median {st['worker_cpu_pct_median']}% of one core "
        f"(max {st['worker_cpu_pct_max']}%; queen {st['queen_cpu_pct']}%)",
        "≤ 5%",
    ),
    (
        "Worker daemon RSS",
        f"median {st['worker_rss_mb_median']} MB (max {st['worker_rss_mb_max']} MB)",
        "≤ 60 MB",
    ),
    (
        "Signals per node",
        f"sent {st['signals_sent_per_node_s']}/s, received "
        f"{st['signals_received_per_node_s']}/s (simulator: {sim['msgs_sent_per_node_s']}, "
        f"{sim['msgs_recv_per_node_s']})",
        "—",
    ),
    (
        "Sim-to-real gap of the failover median",
        f"{r['sim_to_real_gap'] * 100:.1f}% (simulated {sim['failover_s']['median']:.3f} s vs "
        f"real {f['median']:.3f} s)",
        "≤ 25%",
    ),
]
out = ["| measure | result | target |", "|---|---|---|"]
out += [f"| {a} | {b} | {t} |" for a, b, t in rows]
sys.stdout.write("\n".join(out) + "\n")
