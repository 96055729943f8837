"""The notebook API: run scenarios and sweeps from Python and look at them.

    >>> from sim import lab
    >>> res = lab.run("experiments/failover-100.yaml", seed=3, duration=120)
    >>> res.metrics["failover_s"]["median"]          # doctest: +SKIP
    0.35
    >>> res.frame()                                  # one row of flat metrics (pandas)
    >>> res.failovers()                              # one row per failover
    >>> lab.plot_timeline(res); lab.plot_pheromone(res)
    >>> df = lab.sweep("experiments/sweeps/timeout-phase.yaml", out="out/tp", workers=2)
    >>> lab.plot_heatmap(df, "policy.queen_threshold", "policy.candidate_phase",
    ...                  "failover_s.median")

Overrides are dotted paths into the scenario (``nodes.count=50``,
``policy.queen_beat=0.15``) passed as keyword arguments with ``__`` for dots, or as a
mapping. Tables come back as pandas DataFrames when pandas is installed, else as lists
of dicts.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim import run as simrun
from sim import sweep as sweeps
from sim.driver import Simulation
from sim.scenario import Scenario


def _table(rows: list[dict[str, Any]]) -> Any:
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows)


@dataclass
class Result:
    """A finished run: its metrics, its scenario and traces over time."""

    scenario: Scenario
    metrics: dict[str, Any]
    sim: Simulation

    # ---------------------------------------------------------------- tables
    def flat(self) -> dict[str, Any]:
        """The metrics as one flat row (the same columns a sweep writes)."""
        return sweeps.flatten(self.metrics)

    def frame(self) -> Any:
        return _table([self.flat()])

    def failovers(self) -> Any:
        return _table(list(self.metrics["failovers"]))

    def events(self) -> Any:
        """Faults, coronations and abdications in time order."""
        return _table(list(self.sim.obs.timeline))

    # ---------------------------------------------------------------- traces
    @property
    def times(self) -> np.ndarray:
        return np.array([s["t"] for s in self.sim.obs.samples])

    def node_ids(self) -> list[str]:
        return [sn.id for sn in self.sim.nodes]

    def pheromone(self) -> np.ndarray:
        """Sensed queen pheromone: array (samples x nodes), NaN where a node was down."""
        n = len(self.sim.nodes)
        out = np.full((len(self.sim.obs.samples), n), np.nan)
        for i, s in enumerate(self.sim.obs.samples):
            for j, v in enumerate(s["levels"]):
                if v is not None:
                    out[i, j] = v
        return out

    def queens(self) -> list[list[str]]:
        """The active queens at each sample (one per connected component when settled)."""
        return [list(s["queens"]) for s in self.sim.obs.samples]

    def role_holders(self) -> Any:
        """Holders per role over time: one row per sample, one column per role."""
        rows = [{"t": s["t"], **s["roles"]} for s in self.sim.obs.samples]
        return _table(rows)

    def roles_by_node(self) -> list[list[str | None]]:
        return [list(s["node_roles"]) for s in self.sim.obs.samples]


def _overrides(overrides: Mapping[str, Any] | None, kw: dict[str, Any]) -> dict[str, Any]:
    out = dict(overrides or {})
    out.update({k.replace("__", "."): v for k, v in kw.items()})
    return out


def load(
    source: str | Path | Mapping[str, Any],
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    **kw: Any,
) -> Scenario:
    """A validated scenario from a file or mapping, with dotted-path overrides."""
    return simrun.build(source, seed=seed, overrides=_overrides(overrides, kw))


def run(
    source: str | Path | Mapping[str, Any] | Scenario,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    **kw: Any,
) -> Result:
    """Run a scenario (file, mapping or Scenario) and return its :class:`Result`."""
    scenario = source if isinstance(source, Scenario) else load(source, seed, overrides, **kw)
    metrics, sim = simrun.run(scenario)
    return Result(scenario, metrics, sim)


def sweep(path: str | Path, out: str | Path, workers: int = 1) -> Any:
    """Run (or resume) a sweep file; returns its rows (a DataFrame with pandas)."""
    s = sweeps.load_sweep(path)
    res = sweeps.run_sweep(s, out, workers=workers)
    return read_rows(res["runs_csv"])


def read_rows(path: str | Path) -> Any:
    with Path(path).open(newline="") as f:
        rows = [{k: _num(v) for k, v in r.items()} for r in csv.DictReader(f)]
    return _table(rows)


def _num(v: str) -> Any:
    if v in ("", "None"):
        return None
    try:
        x = float(v)
    except ValueError:
        return v
    return int(x) if x.is_integer() and "." not in v and "e" not in v.lower() else x


# -------------------------------------------------------------------- plots


def plot_timeline(res: Result, path: str | Path | None = None) -> Any:
    """Queens, role fill and faults over time (the same figure as ``--plot``)."""
    from sim.plot import plot_timeline as draw

    return draw(res.sim, path or "timeline.png")


def plot_failover_histogram(*results: Result, ax: Any = None, bins: int = 30) -> Any:
    """Histogram of failover times of one or more runs, with median and p99 marked."""
    import matplotlib.pyplot as plt

    times = [
        f["duration_s"]
        for r in results
        for f in r.metrics["failovers"]
        if f.get("duration_s") is not None and not f.get("empty")
    ]
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(times, bins=bins, color="#4c9be8")
    if times:
        med, p99 = np.median(times), np.percentile(times, 99)
        ax.axvline(med, color="k", linestyle="--", label=f"median {med:.3f} s")
        ax.axvline(p99, color="#e5534b", linestyle=":", label=f"p99 {p99:.3f} s")
        ax.legend()
    ax.set_xlabel("failover time (s)")
    ax.set_ylabel("failovers")
    return ax


def plot_heatmap(
    rows: Any, x: str, y: str, metric: str, ax: Any = None, agg: str = "median"
) -> Any:
    """A metric over two varied parameters (cells aggregate the seeds)."""
    import matplotlib.pyplot as plt

    records = rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)
    xs = sorted({r[x] for r in records})
    ys = sorted({r[y] for r in records})
    grid = np.full((len(ys), len(xs)), np.nan)
    fn = {"median": np.median, "mean": np.mean, "max": np.max}[agg]
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            vals = [
                r[metric]
                for r in records
                if r[x] == xv and r[y] == yv and r.get(metric) is not None
            ]
            if vals:
                grid[i, j] = fn(vals)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    for i in range(len(ys)):
        for j in range(len(xs)):
            if not np.isnan(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.3g}", ha="center", va="center", color="w", fontsize=8)
    plt.colorbar(im, ax=ax, label=f"{agg} {metric}")
    return ax


def plot_pheromone(res: Result, ax: Any = None, max_nodes: int = 100) -> Any:
    """The pheromone field: each node's sensed queen pheromone over time (a raster)."""
    import matplotlib.pyplot as plt

    field = res.pheromone()[:, :max_nodes]
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    t = res.times
    im = ax.imshow(
        field.T,
        aspect="auto",
        origin="lower",
        cmap="magma",
        vmin=0,
        vmax=1,
        extent=(float(t[0]) if len(t) else 0, float(t[-1]) if len(t) else 1, 0, field.shape[1]),
        interpolation="nearest",
    )
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("node index")
    plt.colorbar(im, ax=ax, label="sensed queen pheromone")
    return ax
