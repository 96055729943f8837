"""``aware sim ...``: run scenarios and chaos schedules in the simulator."""

from __future__ import annotations

import argparse
import copy
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from aware.errors import ValidationError
from aware_cli.output import Progress, format_summary

CHAOS_BASE: dict[str, Any] = {
    "name": "chaos",
    "seed": 1,
    "duration": 150,
    "nodes": {
        "count": 50,
        "dna": {"cpu": [2, 4, 8, 16], "memory_gb": [4, 8, 16, 64], "disk_gb": [50, 200, 1000]},
        "zones": ["a", "b", "c"],
    },
    "network": {"latency_ms": {"mean": 1.0, "jitter": 0.5}, "loss": 0.01},
    "policy": {"profile": "LAN"},
    "spec": {"template": "web"},
    "chaos": {"faults": 8, "quiet": 30},
}


def add_commands(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sim_command", metavar="SUBCOMMAND")
    run = sub.add_parser("run", help="run one scenario file")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--seed", type=int, help="override the scenario's seed")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field by dotted path, e.g. nodes.count=50 (repeatable)",
    )
    run.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    run.add_argument("--plot", metavar="FILE.png", help="draw the timeline to this file")
    run.add_argument("--progress", action="store_true", help="show progress even off a TTY")
    run.set_defaults(func=cmd_run)

    chaos = sub.add_parser("chaos", help="run K random fault schedules and check invariants")
    chaos.add_argument("--nodes", type=int, default=50)
    chaos.add_argument("--schedules", type=int, default=20)
    chaos.add_argument("--seed", type=int, default=1, help="first seed; schedule i uses seed+i")
    chaos.add_argument("--duration", type=float, help="simulated seconds per schedule")
    chaos.add_argument("--faults", type=int, help="faults per schedule")
    chaos.add_argument("--scenario", help="base scenario with a chaos block (default: built-in)")
    chaos.add_argument("--workers", type=int, default=1, help="parallel processes")
    chaos.add_argument("--out", default="chaos-out", help="where the replayable scenario goes")
    chaos.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    chaos.set_defaults(func=cmd_chaos)
    sweep = sub.add_parser("sweep", help="run a parameter sweep (grid, random or lhs)")
    sweep.add_argument("sweep", help="sweep YAML file")
    sweep.add_argument("--workers", type=int, default=1, help="parallel processes")
    sweep.add_argument("--out", required=True, help="output directory (resumes if present)")
    sweep.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    sweep.set_defaults(func=cmd_sweep)
    parser.set_defaults(func=lambda _a: (parser.print_help(), 2)[1])


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim import sweep as sweeps

    s = sweeps.load_sweep(args.sweep)
    total = len(s.points) * s.seeds
    progress = Progress(total, "sweep", unit="runs") if sys.stderr.isatty() else None
    t0 = time.perf_counter()
    res = sweeps.run_sweep(
        s,
        args.out,
        workers=args.workers,
        progress=(lambda done, _total: progress(done)) if progress else None,
    )
    if progress:
        progress.close()
    res["wall_s"] = round(time.perf_counter() - t0, 2)
    if args.json:
        from aware_cli.main import dump_json

        dump_json(res)
    else:
        print(
            f"sweep: {res['runs']} runs ({res['ran_now']} now, {res['resumed_from']} resumed) "
            f"in {res['wall_s']} s\n  rows:    {res['runs_csv']}\n  summary: {res['summary_csv']}"
        )
    return 0


def _overrides(pairs: list[str]) -> dict[str, Any]:
    from sim import run as simrun  # here, not at the top: daemons never load the simulator

    return dict(simrun.parse_assignment(p) for p in pairs)


def _check_plot_path(path: str) -> None:
    """Fail before the run, not after it, if the plot cannot be written."""
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise ValidationError("--plot", f"{p} must end in .png")
    if not p.parent.is_dir():
        raise ValidationError("--plot", f"directory {p.parent} does not exist")
    if p.is_dir():
        raise ValidationError("--plot", f"{p} is a directory")


def cmd_run(args: argparse.Namespace) -> int:
    from sim import run as simrun  # here, not at the top: daemons never load the simulator

    scenario = simrun.build(args.scenario, seed=args.seed, overrides=_overrides(args.set))
    if args.plot:
        _check_plot_path(args.plot)
    show = args.progress or (sys.stderr.isatty() and not args.json)
    progress = Progress(scenario.duration, scenario.name) if show else None
    summary, sim = simrun.run(scenario, progress=progress)
    if progress is not None:
        progress.close()
    if args.plot:
        from sim.plot import plot_timeline

        summary["plot"] = str(plot_timeline(sim, args.plot))
    if args.json:
        from aware_cli.main import dump_json

        dump_json(summary)
    else:
        print(format_summary(summary))
    return 0


def _chaos_one(base: dict[str, Any], seed: int) -> dict[str, Any]:
    from sim import run as simrun  # here, not at the top: daemons never load the simulator

    scenario = simrun.build(base, seed=seed)
    summary, _sim = simrun.run(scenario)
    return {
        "seed": seed,
        "violations": summary["invariant_violations"],
        "failover_s": summary["failover_s"],
        "false_failovers": summary["false_failovers"],
        "dual_queen_s": summary["dual_queen_s"],
        "wall_s": summary["wall_s"],
    }


def cmd_chaos(args: argparse.Namespace) -> int:
    from sim import run as simrun  # here, not at the top: daemons never load the simulator

    base = simrun.read_raw(args.scenario) if args.scenario else copy.deepcopy(CHAOS_BASE)
    base.setdefault("chaos", {"faults": 8, "quiet": 30})
    simrun.set_path(base, "nodes.count", args.nodes)
    if args.duration is not None:
        base["duration"] = args.duration
    if args.faults is not None:
        simrun.set_path(base, "chaos.faults", args.faults)
    simrun.build(base)  # validate before spending time
    out = Path(args.out)
    scen_file = out / f"chaos-{args.nodes}.yaml"
    try:
        out.mkdir(parents=True, exist_ok=True)
        scen_file.write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    except OSError as err:
        raise ValidationError("--out", f"cannot write to {out}: {err.strerror or err}") from None
    seeds = [args.seed + i for i in range(args.schedules)]
    t0 = time.perf_counter()
    progress = Progress(len(seeds), "chaos", unit="schedules") if sys.stderr.isatty() else None
    results: list[dict[str, Any]] = []
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            for res in pool.map(_chaos_one, [base] * len(seeds), seeds):
                results.append(res)
                if progress:
                    progress(len(results))
    else:
        for seed in seeds:
            results.append(_chaos_one(base, seed))
            if progress:
                progress(len(results))
    if progress:
        progress.close()
    bad = [r for r in results if r["violations"]]
    report = {
        "nodes": args.nodes,
        "schedules": len(results),
        "first_seed": args.seed,
        "scenario": str(scen_file),
        "wall_s": round(time.perf_counter() - t0, 2),
        "violating_schedules": len(bad),
        "violations": [
            {**v, "seed": r["seed"], "replay": f"aware sim run {scen_file} --seed {r['seed']}"}
            for r in bad
            for v in r["violations"]
        ],
        "false_failovers": sum(r["false_failovers"] for r in results),
        "dual_queen_s": round(sum(r["dual_queen_s"] for r in results), 4),
    }
    if args.json:
        from aware_cli.main import dump_json

        dump_json(report)
    else:
        print(
            f"chaos: {report['schedules']} schedules of {args.nodes} nodes in "
            f"{report['wall_s']} s — {len(bad)} with invariant violations"
        )
        for v in report["violations"]:
            print(f"  seed {v['seed']}: {v['invariant']} at t={v['t']}: {v['detail']}")
            print(f"    replay: {v['replay']}")
        print(
            f"  false failovers: {report['false_failovers']}, "
            f"dual-queen time: {report['dual_queen_s']} s (all schedules)"
        )
    return 1 if bad else 0
