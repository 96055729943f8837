"""Fast failover against false failovers: the queen's detection timeout and candidate
phase, swept, to choose the LAN default with numbers.

For each (queen_threshold, candidate_phase) point two runs of 50 nodes at 1% loss:
one crashes the queen every 30 s (failover time, dual-queen time), one hits the colony
with 3-second bursts of 30% loss every 30 s and never crashes anything (any new queen
is a false failover). Writes experiments/results/tradeoff.json and tradeoff.png.

    .venv/bin/python experiments/tradeoff.py [--duration 600]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from aware.params import LAN
from sim import run as simrun

HERE = Path(__file__).parent
BASE = {
    "name": "tradeoff",
    "seed": 1,
    "nodes": {
        "count": 50,
        "dna": {"cpu": [2, 4, 8, 16], "memory_gb": [4, 8, 16, 64], "disk_gb": [50, 200, 1000]},
        "zones": ["a", "b", "c"],
    },
    "network": {"latency_ms": {"mean": 1.0, "jitter": 0.5}, "loss": 0.01},
    "spec": {"template": "web"},
}
THRESHOLDS = [0.25, 0.125, 0.0625, 0.03125]  # detection after 2, 3, 4, 5 beats (x 0.1 s)
PHASES = [0.03, 0.12]


def point(threshold: float, phase: float, duration: float) -> dict:
    policy = {
        "profile": "LAN",
        "queen_threshold": threshold,
        "candidate_phase": phase,
        "candidate_hold": max(LAN.candidate_hold, phase),
    }
    crash = simrun.build(
        {
            **BASE,
            "duration": duration,
            "policy": policy,
            "faults": [{"every": 30, "from": 30, "action": "crash", "target": "queen"}],
        }
    )
    bursts = simrun.build(
        {
            **BASE,
            "duration": duration,
            "policy": policy,
            "faults": [{"every": 30, "from": 15, "action": "loss", "rate": 0.3, "duration": 3}],
        }
    )
    a, _ = simrun.run(crash)
    b, _ = simrun.run(bursts)
    row = {
        "queen_threshold": threshold,
        "timeout_s": round(crash.policy.queen_timeout, 3),
        "candidate_phase": phase,
        "failover_median_s": a["failover_s"]["median"],
        "failover_p99_s": a["failover_s"]["p99"],
        "dual_queen_per_failover_s": a["dual_queen_per_failover_s"],
        "false_failovers_per_hour_in_bursts": round(b["false_failovers"] * 3600 / duration, 1),
        "bursts": int(duration // 30),
    }
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=float, default=600.0)
    args = ap.parse_args()
    rows = [point(t, p, args.duration) for p in PHASES for t in THRESHOLDS]
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "tradeoff.json").write_text(json.dumps(rows, indent=2))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for phase, marker in zip(PHASES, "os", strict=True):
        pts = [r for r in rows if r["candidate_phase"] == phase]
        ax.plot(
            [r["failover_median_s"] for r in pts],
            [r["false_failovers_per_hour_in_bursts"] for r in pts],
            marker=marker,
            label=f"candidate phase {phase * 1000:.0f} ms",
        )
        for r in pts:
            ax.annotate(
                f"{r['timeout_s']:.1f} s",
                (r["failover_median_s"], r["false_failovers_per_hour_in_bursts"]),
                fontsize=8,
                textcoords="offset points",
                xytext=(4, 4),
            )
    ax.set_xlabel("failover median (s), queen crashed every 30 s")
    ax.set_ylabel("false failovers per hour\n(3 s bursts of 30% loss every 30 s)")
    ax.set_title("detection timeout (labels) against false failovers, 50 nodes")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "tradeoff.png", dpi=110)
    print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
