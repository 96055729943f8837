"""The notebook API: results, traces and plots."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np

from sim import lab

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "experiments" / "failover-100.yaml"


def small() -> lab.Result:
    return lab.run(SCEN, seed=4, nodes__count=20, duration=70)


def test_a_run_gives_metrics_tables_and_traces() -> None:
    res = small()
    assert res.metrics["failover_s"]["n"] == 2
    flat = res.flat()
    assert flat["failover_s.median"] == res.metrics["failover_s"]["median"]
    rows = res.failovers()
    assert len(rows) == 2
    field = res.pheromone()
    assert field.shape == (len(res.times), 20)
    alive = field[~np.isnan(field)]
    assert alive.min() >= 0.0 and alive.max() == 1.0  # the queen senses herself at 1
    # after the crash at t=30 the survivors' sensed level dips, then recovers
    i = int(np.searchsorted(res.times, 31.0))
    assert np.nanmax(field[i]) == 1.0 and len(res.queens()[i]) == 1
    holders = res.role_holders()
    assert any(row.get("frontend", 0) == 2 for row in holders)


def test_overrides_by_mapping_and_keyword_agree() -> None:
    a = lab.load(SCEN, overrides={"nodes.count": 12, "network.loss": 0.0})
    b = lab.load(SCEN, nodes__count=12, network__loss=0.0)
    assert a == b and a.nodes.count == 12


def test_plots_draw_what_they_say(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    res = small()
    ax = lab.plot_failover_histogram(res)
    assert sum(p.get_height() for p in ax.patches) == 2
    ax = lab.plot_pheromone(res)
    assert ax.images[0].get_array().shape == (20, len(res.times))
    path = lab.plot_timeline(res, tmp_path / "t.png")
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = [{"a": a, "b": b, "m": a * 10 + b} for a in (1, 2) for b in (3, 4, 5)]
    ax = lab.plot_heatmap(rows, "a", "b", "m")
    grid = ax.images[0].get_array()
    assert grid.shape == (3, 2) and grid[0, 0] == 13 and grid[2, 1] == 25
    plt.close("all")
