"""Benchmark of the simulator against the targets of the core issue.

Runs the shipped scenarios, writes experiments/results/bench-sim.json and prints a
Markdown table for the README. Usage:

    .venv/bin/python experiments/bench_sim.py [--quick] [--skip-1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sim import run as simrun

HERE = Path(__file__).parent
OUT = HERE / "results" / "bench-sim.json"


def run(path: str, seed: int | None = None, **overrides: object) -> dict:
    scenario = simrun.build(HERE / path, seed=seed, overrides=overrides)
    summary, _sim = simrun.run(scenario)
    print(
        f"  {path} seed={scenario.seed}: {summary['wall_s']:.1f} s wall, {summary['sim_speed']}x",
        file=sys.stderr,
        flush=True,
    )
    return summary


def steady_1000(warmup: float = 150.0, window: float = 60.0) -> dict:
    """Speed of a formed 1000-node colony: wall time of ``window`` simulated seconds
    after ``warmup`` (formation and the settling of beat intervals)."""
    from sim.driver import Simulation

    scenario = simrun.build(
        HERE / "formation-1000.yaml", overrides={"duration": warmup + window, "faults": []}
    )
    sim = Simulation(scenario)
    sim.setup()
    t0 = time.perf_counter()
    sim.env.run(until=warmup)
    t1 = time.perf_counter()
    recv0 = sim.recv_total
    sim.env.run(until=warmup + window)
    t2 = time.perf_counter()
    print(
        f"  steady 1000: warm-up {t1 - t0:.1f} s wall, window {t2 - t1:.1f} s wall",
        file=sys.stderr,
        flush=True,
    )
    return {
        "warmup_s": warmup,
        "warmup_wall_s": round(t1 - t0, 2),
        "window_s": window,
        "window_wall_s": round(t2 - t1, 2),
        "sim_speed": round(window / (t2 - t1), 2),
        "deliveries_per_s": round((sim.recv_total - recv0) / window),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer seeds, shorter runs")
    ap.add_argument("--skip-1000", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chaos", type=int, default=200, help="chaos schedules at 50 nodes")
    args = ap.parse_args()
    seeds = [1, 2] if args.quick else [1, 2, 3, 4, 5]
    res: dict = {"when": time.strftime("%Y-%m-%d %H:%M"), "quick": args.quick}

    print("failover-100 (queen crashed every 30 s)", file=sys.stderr)
    fos, dual, false_fo, n_fo = [], 0.0, 0, 0
    for s in seeds:
        r = run("failover-100.yaml", seed=s)
        fos += [f["duration_s"] for f in r["failovers"] if f["duration_s"] is not None]
        dual += r["dual_queen_s"]
        false_fo += r["false_failovers"]
        n_fo += r["failover_s"]["n"]
    fos.sort()
    q = statistics.quantiles(fos, n=100, method="inclusive")
    res["failover"] = {
        "n": len(fos),
        "median": round(statistics.median(fos), 4),
        "p90": round(q[89], 4),
        "p99": round(q[98], 4),
        "max": max(fos),
        "dual_queen_per_failover_s": round(dual / max(n_fo, 1), 4),
        "false_failovers": false_fo,
    }

    print("quiet hour at 100 nodes (3 runs; speed is their median)", file=sys.stderr)
    quiet = [run("quiet-hour-100.yaml", duration=600 if args.quick else 3600) for _ in range(3)]
    quiet.sort(key=lambda q: q["wall_s"])
    r = quiet[1]
    res["quiet"] = {
        k: r[k]
        for k in (
            "duration_s",
            "wall_s",
            "sim_speed",
            "false_failovers",
            "queen_changes",
            "dual_queen_s",
            "msgs_recv_per_node_s",
            "msgs_sent_per_node_s",
            "bytes_per_node_s",
        )
    }
    res["quiet"]["wall_s_all"] = [q["wall_s"] for q in quiet]

    print("formation of 100 nodes", file=sys.stderr)
    forms = [run("quiet-hour-100.yaml", seed=s, duration=10)["formation_s"] for s in range(1, 11)]
    res["formation_100"] = {"n": len(forms), "median": statistics.median(forms), "max": max(forms)}

    print("role convergence after node loss", file=sys.stderr)
    r = run("holder-loss-100.yaml", duration=200 if args.quick else 400)
    res["role_convergence"] = r["role_convergence_s"]

    if not args.skip_1000:
        print("1000 nodes", file=sys.stderr)
        r = run("formation-1000.yaml", duration=25 if args.quick else 60)
        res["nodes_1000"] = {
            k: r[k] for k in ("duration_s", "wall_s", "sim_speed", "formation_s", "failover_s")
        }
        res["steady_1000"] = steady_1000()

    print(f"chaos: {args.chaos} schedules at 50 nodes", file=sys.stderr)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "aware_cli.main",
            "sim",
            "chaos",
            "--nodes",
            "50",
            "--schedules",
            str(args.chaos),
            "--workers",
            str(args.workers),
            "--json",
            "--out",
            str(HERE / "results" / "chaos"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    chaos = json.loads(proc.stdout)
    res["chaos"] = {
        "schedules": chaos["schedules"],
        "violating": chaos["violating_schedules"],
        "violations": chaos["violations"][:10],
        "wall_s": round(time.perf_counter() - t0, 1),
        "false_failovers": chaos["false_failovers"],
    }

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
