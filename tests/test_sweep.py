"""Sweeps: designs, rows, resumption, validation."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim import sweep as S
from sim.scenario import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "experiments" / "failover-100.yaml"


def write(tmp: Path, text: str) -> Path:
    p = tmp / "sweep.yaml"
    p.write_text(f"base: {BASE}\n" + text)
    return p


def test_grid_points_and_seeds(tmp_path: Path) -> None:
    s = S.load_sweep(
        write(tmp_path, "seeds: 3\nvary: {nodes.count: [10, 20], network.loss: [0.0, 0.1, 0.2]}\n")
    )
    assert len(s.points) == 6
    runs = list(s.runs())
    assert len(runs) == 18
    assert {seed for _, _, seed in runs} == {7, 8, 9}  # the base seed, then +1, +2


def test_latin_hypercube_fills_every_stratum(tmp_path: Path) -> None:
    s = S.load_sweep(
        write(
            tmp_path,
            "design: lhs\nsamples: 10\n"
            "vary: {network.loss: [0.0, 1.0], policy.queen_beat: [0.05, 0.15]}\n",
        )
    )
    loss = sorted(p["network.loss"] for p in s.points)
    assert [int(x * 10) for x in loss] == list(range(10))
    beats = [p["policy.queen_beat"] for p in s.points]
    assert all(0.05 <= b <= 0.15 for b in beats)


def test_random_design_with_choices_and_ints(tmp_path: Path) -> None:
    s = S.load_sweep(
        write(
            tmp_path,
            "design: random\nsamples: 12\n"
            "vary: {nodes.count: [10, 40], policy.profile: [LAN, WAN, LOSSY]}\n",
        )
    )
    assert len(s.points) == 12
    assert all(isinstance(p["nodes.count"], int) and 10 <= p["nodes.count"] <= 40 for p in s.points)
    assert {p["policy.profile"] for p in s.points} <= {"LAN", "WAN", "LOSSY"}


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("seeds: 0\nvary: {duration: [10]}\n", "seeds"),
        ("design: magic\nvary: {duration: [10]}\n", "design"),
        ("vary: {}\n", "vary"),
        ("vary: {duration: 10}\n", "vary.duration"),
        ("vary: {nodes.count: [-3]}\n", "nodes.count"),
        ("colour: red\nvary: {duration: [10]}\n", "colour"),
    ],
)
def test_bad_sweeps_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ScenarioError) as err:
        S.load_sweep(write(tmp_path, text))
    assert err.value.field == field


def test_rows_summary_and_resumption(tmp_path: Path) -> None:
    sweep = write(tmp_path, "seeds: 2\nvary: {nodes.count: [12, 16], duration: [35]}\n")
    out = tmp_path / "out"
    res = S.run_sweep(S.load_sweep(sweep), out, workers=2)
    assert res["runs"] == 4 and res["ran_now"] == 4
    rows = list(csv.DictReader((out / "runs.csv").open()))
    assert rows[0]["nodes.count"] in ("12", "16") and "failover_s.median" in rows[0]
    assert all(float(r["failover_s.median"]) < 1.0 for r in rows)
    # simulate an interruption: keep the header and the first row only
    lines = (out / "runs.csv").read_text().splitlines()
    (out / "runs.csv").write_text("\n".join(lines[:2]) + "\n")
    res = S.run_sweep(S.load_sweep(sweep), out, workers=1)
    assert res["resumed_from"] == 1 and res["ran_now"] == 3
    rows = list(csv.DictReader((out / "runs.csv").open()))
    assert sorted((r["point"], r["seed"]) for r in rows) == sorted(
        {(r["point"], r["seed"]) for r in rows}
    )
    assert len(rows) == 4
    summary = list(csv.DictReader((out / "summary.csv").open()))
    assert len(summary) == 2 and all(s["runs"] == "2" for s in summary)


def test_cli_sweep_json(tmp_path: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "aware_cli.main",
            "sim",
            "sweep",
            str(ROOT / "experiments" / "sweeps" / "smoke.yaml"),
            "--workers",
            "2",
            "--out",
            str(tmp_path / "o"),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["runs"] == 8
