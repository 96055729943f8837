"""Timeline plot of a run: queens per component, role fill, faults."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

if TYPE_CHECKING:
    from sim.driver import Simulation

_FAULT_COLOURS = {
    "crash": "#d62728",
    "freeze": "#1f77b4",
    "resume": "#17becf",
    "partition": "#9467bd",
    "heal": "#8c564b",
    "join": "#2ca02c",
    "restart": "#bcbd22",
    "loss": "#7f7f7f",
    "spec": "#ff7f0e",
    "shutdown": "#e377c2",
}


def plot_timeline(sim: Simulation, path: str | Path) -> Path:
    """Draw the run's timeline to ``path`` (PNG) and return the path."""
    obs = sim.obs
    fig, (ax_q, ax_r, ax_n) = plt.subplots(
        3, 1, figsize=(12, 8), sharex=True, gridspec_kw={"height_ratios": [3, 2, 1]}
    )
    sc = sim.scenario
    fig.suptitle(f"{sc.name} — {sc.nodes.count} nodes, seed {sc.seed}, {sc.policy_profile}")

    # queens: one bar per reign, at the queen's node index
    cmap = plt.get_cmap("tab20")
    for k, reign in enumerate(obs.reigns):
        end = reign["end"] if reign["end"] is not None else sc.duration
        ax_q.hlines(reign["idx"], reign["start"], end, colors=cmap(k % 20), linewidth=6)
    if obs.reigns:
        ax_q.set_ylim(-1, len(sim.nodes))
    for ep in obs.failovers:
        if ep.duration is not None and not ep.detail.get("empty"):
            ax_q.annotate(
                f"{ep.duration * 1000:.0f} ms",
                (ep.start, len(sim.nodes) * 0.96),
                fontsize=7,
                rotation=90,
                va="top",
                color="#d62728",
            )
    ax_q.set_ylabel("queen (node index)")
    ax_q.set_title("reigns (bars), faults (lines), failover times (ms)", fontsize=9)
    _faults(ax_q, obs.timeline)

    # role fill from periodic samples
    roles = sorted({r for s in obs.samples for r in s["roles"]})
    times = [s["t"] for s in obs.samples]
    for role in roles:
        ax_r.step(times, [s["roles"].get(role, 0) for s in obs.samples], where="post", label=role)
    if sc.spec is not None:
        for role in sc.spec.roles:
            ax_r.axhline(role.count, linestyle=":", linewidth=0.8, color="#999999")
    ax_r.set_ylabel("holders")
    if roles:
        ax_r.legend(loc="upper right", fontsize=8, ncol=len(roles))
    _faults(ax_r, obs.timeline, labels=False)

    ax_n.step(times, [s["running"] for s in obs.samples], where="post", label="running nodes")
    ax_c = ax_n.twinx()
    ax_c.step(
        times,
        [s["components"] for s in obs.samples],
        where="post",
        color="#9467bd",
        label="components",
    )
    ax_c.set_ylabel("components", color="#9467bd")
    ax_n.set_ylabel("running")
    ax_n.set_xlabel("simulated time (s)")
    _faults(ax_n, obs.timeline, labels=False)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def _faults(ax: plt.Axes, timeline: list[dict], labels: bool = True) -> None:
    seen: set[str] = set()
    for ev in timeline:
        kind = ev["event"].split(" ")[0]
        colour = _FAULT_COLOURS.get(kind)
        if colour is None:
            continue
        label = kind if labels and kind not in seen else None
        seen.add(kind)
        ax.axvline(ev["t"], color=colour, linewidth=0.8, alpha=0.6, label=label)
    if labels and seen:
        ax.legend(loc="lower right", fontsize=7, ncol=min(len(seen), 6))
