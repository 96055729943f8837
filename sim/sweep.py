"""Parameter sweeps: a base scenario, parameters to vary, seeds per point — run in
parallel processes, one CSV row per run, resumable.

Sweep file (YAML)::

    base: experiments/failover-100.yaml   # relative to the sweep file
    seeds: 5                              # runs per design point: base seed, +1, +2 ...
    design: grid                          # grid | random | lhs
    samples: 20                           # points, for random and lhs
    vary:                                 # dotted paths into the scenario
      nodes.count: [20, 50, 100]          # grid: the values; random/lhs: [low, high]
      network.loss: [0.0, 0.01, 0.05]     # (or a list of choices when not two numbers)
      policy.queen_threshold: [0.05, 0.25]

Rows go to DIR/runs.csv (the varied paths, ``point``, ``seed``, then every metric of
``aware sim run --json`` flattened with dots); DIR/summary.csv has the median of each
metric per point. Runs already in runs.csv are skipped, so an interrupted sweep resumes.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import random
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim import run as simrun
from sim.scenario import ScenarioError

DESIGNS = ("grid", "random", "lhs")
SKIP_KEYS = {"failovers", "false_failover_list", "skipped_faults", "scenario", "plot"}


@dataclass
class Sweep:
    base: dict[str, Any]
    base_path: str
    seeds: int
    design: str
    samples: int
    vary: dict[str, list[Any]]
    points: list[dict[str, Any]] = field(default_factory=list)

    def runs(self) -> Iterator[tuple[int, dict[str, Any], int]]:
        base_seed = int(self.base.get("seed", 0))
        for i, point in enumerate(self.points):
            for j in range(self.seeds):
                yield i, point, base_seed + j


def load_sweep(path: str | Path) -> Sweep:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as err:
        raise ScenarioError("file", f"cannot read {p}: {err.strerror or err}") from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raise ScenarioError("file", f"{p} is not valid YAML") from None
    if not isinstance(data, Mapping):
        raise ScenarioError("sweep", "must be a mapping with base, seeds, design, vary")
    unknown = sorted(
        str(k)
        for k in data
        if k not in {"base", "seeds", "design", "samples", "vary", "description"}
    )
    if unknown:
        raise ScenarioError(unknown[0], "unknown field")
    base_ref = data.get("base")
    if not isinstance(base_ref, str):
        raise ScenarioError("base", "must name the base scenario file")
    base_path = (p.parent / base_ref) if not Path(base_ref).is_absolute() else Path(base_ref)
    if not base_path.exists() and Path(base_ref).exists():
        base_path = Path(base_ref)
    base = simrun.read_raw(base_path)
    seeds = data.get("seeds", 1)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 10_000:
        raise ScenarioError("seeds", "must be an integer from 1 to 10000")
    design = data.get("design", "grid")
    if design not in DESIGNS:
        raise ScenarioError("design", f"must be one of {', '.join(DESIGNS)}")
    samples = data.get("samples", 10)
    if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= 100_000:
        raise ScenarioError("samples", "must be a positive integer")
    vary = data.get("vary")
    if not isinstance(vary, Mapping) or not vary:
        raise ScenarioError("vary", "must map dotted paths to lists of values")
    for key, values in vary.items():
        if not isinstance(values, list) or not values:
            raise ScenarioError(f"vary.{key}", "must be a non-empty list")
        if design != "grid" and _is_range(values) is None and len(values) < 1:
            raise ScenarioError(f"vary.{key}", "needs [low, high] or choices")
    sweep = Sweep(
        base, str(base_path), seeds, design, samples, {str(k): list(v) for k, v in vary.items()}
    )
    sweep.points = design_points(sweep, random.Random(f"sweep:{base.get('seed', 0)}"))
    for point in sweep.points[:1]:  # validate one point before spending hours
        simrun.build(base, overrides=point)
    return sweep


def _is_range(values: list[Any]) -> tuple[float, float] | None:
    if (
        len(values) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        and values[0] < values[1]
    ):
        return float(values[0]), float(values[1])
    return None


def _cast(template: list[Any], x: float) -> Any:
    return round(x) if all(isinstance(v, int) for v in template) else round(x, 6)


def design_points(sweep: Sweep, rng: random.Random) -> list[dict[str, Any]]:
    keys = list(sweep.vary)
    if sweep.design == "grid":
        return [
            dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(sweep.vary[k] for k in keys))
        ]
    n = sweep.samples
    if sweep.design == "random":
        units = [[rng.random() for _ in keys] for _ in range(n)]
    else:  # Latin hypercube: one sample per stratum in every dimension
        nprng = np.random.default_rng(rng.randrange(2**32))
        cols = [(nprng.permutation(n) + nprng.random(n)) / n for _ in keys]
        units = [[float(cols[d][i]) for d in range(len(keys))] for i in range(n)]
    points = []
    for u in units:
        point: dict[str, Any] = {}
        for k, x in zip(keys, u, strict=True):
            values = sweep.vary[k]
            rng_ = _is_range(values)
            if rng_ is not None:
                point[k] = _cast(values, rng_[0] + x * (rng_[1] - rng_[0]))
            else:
                point[k] = values[min(int(x * len(values)), len(values) - 1)]
        points.append(point)
    return points


def flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if k in SKIP_KEYS:
            continue
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = len(v)
        else:
            out[key] = v
    return out


def run_one(base: dict[str, Any], point: dict[str, Any], seed: int) -> dict[str, Any]:
    summary, _sim = simrun.run(simrun.build(base, seed=seed, overrides=point))
    return flatten(summary)


def _done(path: Path) -> tuple[set[tuple[int, int]], list[str] | None]:
    if not path.exists():
        return set(), None
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        done = {(int(r["point"]), int(r["seed"])) for r in reader}
        return done, reader.fieldnames and list(reader.fieldnames)


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run what is not yet in DIR/runs.csv; returns counts and the summary path."""
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs_csv = out_dir / "runs.csv"
    done, header = _done(runs_csv)
    todo = [(i, p, s) for i, p, s in sweep.runs() if (i, s) not in done]
    total = len(done) + len(todo)
    keys = list(sweep.vary)
    (out_dir / "sweep.json").write_text(
        json.dumps(
            {
                "base": sweep.base_path,
                "seeds": sweep.seeds,
                "design": sweep.design,
                "vary": sweep.vary,
                "points": sweep.points,
            },
            indent=1,
        )
    )
    f = runs_csv.open("a", newline="")
    writer: csv.DictWriter[str] | None = None
    if header is not None:
        writer = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")

    def write(i: int, point: dict[str, Any], seed: int, metrics: dict[str, Any]) -> None:
        nonlocal writer
        row = {**point, "point": i, "seed": seed, **metrics}
        if writer is None:
            writer = csv.DictWriter(
                f,
                fieldnames=[*keys, "point", "seed", *[m for m in metrics if m != "seed"]],
                extrasaction="ignore",
            )
            writer.writeheader()
        writer.writerow(row)
        f.flush()

    finished = len(done)
    if progress:
        progress(finished, total)
    try:
        if workers <= 1:
            for i, p, s in todo:
                write(i, p, s, run_one(sweep.base, p, s))
                finished += 1
                if progress:
                    progress(finished, total)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                pending: dict[Future[dict[str, Any]], tuple[int, dict[str, Any], int]] = {}
                queue = iter(todo)
                for item in itertools.islice(queue, workers * 2):
                    pending[pool.submit(run_one, sweep.base, item[1], item[2])] = item
                while pending:
                    ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in ready:
                        i, p, s = pending.pop(fut)
                        write(i, p, s, fut.result())
                        finished += 1
                        if progress:
                            progress(finished, total)
                        nxt = next(queue, None)
                        if nxt is not None:
                            pending[pool.submit(run_one, sweep.base, nxt[1], nxt[2])] = nxt
    finally:
        f.close()
    summary = summarize(runs_csv, keys, out_dir / "summary.csv")
    return {
        "runs": total,
        "ran_now": len(todo),
        "resumed_from": len(done),
        "runs_csv": str(runs_csv),
        "summary_csv": str(summary),
    }


def summarize(runs_csv: Path, keys: list[str], out: Path) -> Path:
    """Median of every numeric metric per design point."""
    with runs_csv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    by_point: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_point.setdefault(r["point"], []).append(r)
    metrics = [c for c in (rows[0].keys() if rows else []) if c not in (*keys, "point", "seed")]
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*keys, "point", "runs", *metrics])
        for point, rs in sorted(by_point.items(), key=lambda kv: int(kv[0])):
            vals = []
            for m in metrics:
                nums = [float(r[m]) for r in rs if _number(r.get(m))]
                vals.append(round(float(np.median(nums)), 6) if nums else "")
            w.writerow([*(rs[0][k] for k in keys), point, len(rs), *vals])
    return out


def _number(v: str | None) -> bool:
    if v in (None, "", "None"):
        return False
    try:
        return math.isfinite(float(v))
    except ValueError:
        return False
