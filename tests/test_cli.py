"""The ``aware`` command, run as a real subprocess: JSON and human output, determinism,
plots, clean one-line errors for bad input, and chaos runs."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
FAILOVER = ROOT / "experiments" / "failover-100.yaml"
# 20 nodes for 40 simulated seconds: the queen is crashed once, at t=30.
SMALL = ["--set", "nodes.count=20", "--set", "duration=40"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

_SCRIPT = Path(sys.executable).parent / "aware"
AWARE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "aware_cli.main"]


def aware(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AWARE, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


def one_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The single JSON object that makes up all of stdout."""
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    obj = json.loads(lines[0])
    assert isinstance(obj, dict)
    return obj


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stdout
    assert "Traceback" not in proc.stderr


def stable(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary without the wall-clock fields, which vary between identical runs."""
    return {k: v for k, v in summary.items() if k not in ("wall_s", "sim_speed")}


@pytest.fixture(scope="module")
def small_run() -> dict[str, Any]:
    proc = aware("sim", "run", FAILOVER, "--json", *SMALL)
    assert proc.returncode == 0, proc.stderr
    no_traceback(proc)
    return one_json(proc)


# ============================================================================ sim run

SUMMARY_KEYS = {
    "nodes",
    "duration_s",
    "wall_s",
    "sim_speed",
    "formation_s",
    "failovers",
    "failover_s",
    "false_failovers",
    "dual_queen_s",
    "role_convergence_s",
    "join_s",
    "msgs_sent_per_node_s",
    "msgs_recv_per_node_s",
    "bytes_per_node_s",
    "invariant_violations",
}


def test_run_json_has_the_documented_keys(small_run: dict[str, Any]) -> None:
    assert set(small_run) >= SUMMARY_KEYS
    assert isinstance(small_run["failovers"], list)
    assert isinstance(small_run["invariant_violations"], list)
    assert {"median", "p90", "p99", "max"} <= set(small_run["failover_s"])
    for key in ("role_convergence_s", "join_s"):
        assert isinstance(small_run[key], dict)


def test_run_json_values_are_sensible(small_run: dict[str, Any]) -> None:
    s = small_run
    assert s["nodes"] == 20
    assert s["duration_s"] == 40
    assert s["seed"] == 7
    assert s["wall_s"] > 0 and s["sim_speed"] > 0
    assert s["formation_s"] is not None and 0 < s["formation_s"] < 3
    (failover,) = s["failovers"]  # one crash of the queen, at t=30
    assert failover["at"] == 30
    assert failover["cause"] == "crash"
    assert failover["duration_s"] is not None and 0 < failover["duration_s"] < 2
    assert failover["new_queen"] != failover["old_queen"]
    fs = s["failover_s"]
    assert fs["median"] == fs["max"] == failover["duration_s"]
    assert fs["median"] <= fs["p90"] <= fs["p99"] <= fs["max"] < 2
    assert s["false_failovers"] == 0
    assert s["dual_queen_s"] >= 0
    assert s["invariant_violations"] == []
    assert s["msgs_sent_per_node_s"] > 0
    assert s["msgs_recv_per_node_s"] > 0
    assert s["bytes_per_node_s"] > 0


def test_run_is_deterministic_for_a_seed(small_run: dict[str, Any]) -> None:
    first = aware("sim", "run", FAILOVER, "--json", "--seed", "11", *SMALL)
    again = aware("sim", "run", FAILOVER, "--json", "--seed", "11", *SMALL)
    other = aware("sim", "run", FAILOVER, "--json", "--seed", "12", *SMALL)
    for proc in (first, again, other):
        assert proc.returncode == 0, proc.stderr
    a, b, c = one_json(first), one_json(again), one_json(other)
    assert a["seed"] == 11 and c["seed"] == 12
    assert stable(a) == stable(b)
    # the seed reaches the simulation, not only the report
    assert {k: v for k, v in stable(a).items() if k != "seed"} != {
        k: v for k, v in stable(c).items() if k != "seed"
    }
    assert stable(a) != stable(small_run)


def test_run_plot_and_human_summary(tmp_path: Path) -> None:
    png = tmp_path / "out.png"
    proc = aware("sim", "run", FAILOVER, *SMALL, "--plot", png)
    assert proc.returncode == 0, proc.stderr
    no_traceback(proc)
    data = png.read_bytes()
    assert len(data) > 1000
    assert data.startswith(PNG_MAGIC)
    out = proc.stdout
    assert "failover" in out
    assert str(png) in out
    assert "20 nodes" in out
    assert "invariants         all held" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)  # human output, not JSON


def test_run_json_with_plot_reports_the_path(tmp_path: Path) -> None:
    png = tmp_path / "timeline.png"
    proc = aware("sim", "run", FAILOVER, "--json", *SMALL, "--set", "duration=35", "--plot", png)
    assert proc.returncode == 0, proc.stderr
    summary = one_json(proc)
    assert summary["plot"] == str(png)
    assert summary["duration_s"] == 35
    assert png.read_bytes().startswith(PNG_MAGIC)


# ============================================================================ bad input


def _scenario_file(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "scenario.yaml"
    p.write_text(text)
    return p


BAD_INPUT = [
    # (id, file contents or None for the experiment / a missing file, extra args, words)
    ("negative-count", "name: x\nduration: 10\nnodes: {count: -5}\n", [], ["nodes.count", "-5"]),
    ("invalid-yaml", "name: x\nnodes: [\n  count: 3\n", [], ["file", "YAML", "line"]),
    ("missing-file", None, [], ["file", "does-not-exist.yaml"]),
    ("loss-above-1", "", ["--set", "network.loss=2"], ["network.loss"]),
    ("unknown-field", "", ["--set", "colour=red"], ["colour", "unknown field"]),
    ("bad-seed", "", ["--seed", "-1"], ["seed"]),
    ("set-without-value", "", ["--set", "nodes.count"], ["--set", "PATH=VALUE"]),
    ("set-inside-number", "", ["--set", "nodes.count.x=1"], ["nodes.count.x"]),
]


@pytest.mark.parametrize(
    ("contents", "extra", "words"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_is_one_error_line(
    tmp_path: Path, contents: str | None, extra: list[str], words: list[str]
) -> None:
    if contents is None:
        path = tmp_path / "does-not-exist.yaml"
    elif contents == "":
        path = FAILOVER
    else:
        path = _scenario_file(tmp_path, contents)
    proc = aware("sim", "run", path, "--json", *extra)
    assert proc.returncode == 2
    no_traceback(proc)
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("aware: error:")
    for word in words:
        assert word in lines[0]


def test_no_command_prints_usage() -> None:
    for args in ((), ("sim",)):
        proc = aware(*args)
        assert proc.returncode == 2
        assert "usage:" in proc.stdout
        no_traceback(proc)


# ============================================================================ chaos


def test_chaos_json(tmp_path: Path) -> None:
    out = tmp_path / "chaos"
    proc = aware(
        "sim",
        "chaos",
        "--nodes",
        "15",
        "--schedules",
        "3",
        "--duration",
        "60",
        "--json",
        "--out",
        out,
        cwd=tmp_path,
    )
    assert proc.returncode in (0, 1), proc.stderr
    no_traceback(proc)
    report = one_json(proc)
    assert report["schedules"] == 3
    assert report["nodes"] == 15
    assert isinstance(report["violations"], list)
    assert proc.returncode == (1 if report["violations"] else 0)
    assert report["violating_schedules"] == len({v["seed"] for v in report["violations"]})
    scenario = Path(report["scenario"])
    assert scenario.exists()
    assert scenario.parent == out
    # the replayable scenario is a valid scenario file with the requested settings
    sc = load_scenario(scenario)
    assert sc.nodes.count == 15
    assert sc.duration == 60
    assert sc.chaos is not None
    for v in report["violations"]:
        assert "--seed" in v["replay"]
        assert str(scenario) in v["replay"]
        assert f"--seed {v['seed']}" in v["replay"]


def test_chaos_bad_input_is_one_error_line(tmp_path: Path) -> None:
    proc = aware("sim", "chaos", "--nodes", "0", "--schedules", "1", "--out", tmp_path / "c")
    assert proc.returncode == 2
    no_traceback(proc)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aware: error:")
    assert "nodes.count" in lines[0]
    assert not (tmp_path / "c").exists()  # validated before anything is written


# ============================================================================ fixed bugs
# Regression tests for bugs in aware_cli/ and sim/ found while writing these tests (they
# were strict xfails until fixed).


def test_known_bug_unhashable_action_traceback(tmp_path: Path) -> None:
    p = _scenario_file(tmp_path, "duration: 10\nnodes: 3\nfaults: [{at: 1, action: [crash]}]\n")
    proc = aware("sim", "run", p, "--json")
    no_traceback(proc)
    assert proc.returncode == 2 and "faults[0].action" in proc.stderr


def test_known_bug_non_utf8_file_traceback(tmp_path: Path) -> None:
    p = tmp_path / "latin1.yaml"
    p.write_bytes(b"name: caf\xe9\nduration: 10\nnodes: 3\n")
    proc = aware("sim", "run", p, "--json")
    no_traceback(proc)
    assert proc.returncode == 2 and proc.stderr.startswith("aware: error: file")


def test_known_bug_huge_integer_traceback() -> None:
    proc = aware("sim", "run", FAILOVER, "--json", "--set", "duration=1" + "0" * 400)
    no_traceback(proc)
    assert proc.returncode == 2 and "duration" in proc.stderr


@pytest.mark.parametrize("name", ["missing-dir/out.png", "out.txt"])
def test_known_bug_bad_plot_path_traceback(tmp_path: Path, name: str) -> None:
    proc = aware("sim", "run", FAILOVER, *SMALL, "--set", "duration=5", "--plot", tmp_path / name)
    no_traceback(proc)
    assert proc.returncode == 2 and proc.stderr.startswith("aware: error:")


def test_known_bug_chaos_out_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("x")
    proc = aware(
        "sim", "chaos", "--nodes", "5", "--schedules", "1", "--duration", "10", "--out", target
    )
    no_traceback(proc)
    assert proc.returncode == 2 and proc.stderr.startswith("aware: error:")


def test_known_bug_chaos_mutates_its_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aware_cli import main as cli
    from aware_cli import simcmd

    private = copy.deepcopy(simcmd.CHAOS_BASE)  # never touch the real one in this process
    monkeypatch.setattr(simcmd, "CHAOS_BASE", private)
    before = copy.deepcopy(private)
    args = cli.build_parser().parse_args(
        [
            "sim",
            "chaos",
            "--nodes",
            "7",
            "--faults",
            "2",
            "--schedules",
            "0",
            "--json",
            "--out",
            str(tmp_path / "c"),
        ]
    )
    assert args.func(args) == 0
    assert private == before


def test_closed_stdout_pipe_is_not_a_traceback() -> None:
    """`aware ... | head` that stops reading: no BrokenPipeError traceback, exit 141."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: the first write fails with EPIPE
    try:
        proc = subprocess.run(
            [*AWARE, "sim", "run", FAILOVER, "--json", *SMALL, "--set", "duration=5"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert proc.returncode == 141
