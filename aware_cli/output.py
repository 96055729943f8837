"""Human-readable output for the CLI: summaries and a progress line."""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
    """A one-line progress indicator on stderr, redrawn at most 5 times a second."""

    def __init__(self, total: float, label: str, unit: str = "s simulated") -> None:
        self.total = total
        self.label = label
        self.unit = unit
        self.t0 = time.perf_counter()
        self._last = 0.0

    def __call__(self, done: float) -> None:
        now = time.perf_counter()
        if now - self._last < 0.2 and done < self.total:
            return
        self._last = now
        frac = min(done / self.total, 1.0) if self.total else 1.0
        bar = "#" * int(frac * 30)
        elapsed = now - self.t0
        eta = elapsed * (1 - frac) / frac if frac > 0 else 0.0
        sys.stderr.write(
            f"\r{self.label} [{bar:<30}] {done:,.0f}/{self.total:,.0f} {self.unit}"
            f"  {elapsed:.0f}s elapsed, ~{eta:.0f}s left "
        )
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


def _s(x: float | None, unit: str = "s") -> str:
    return "—" if x is None else f"{x:.3f} {unit}"


def _dist(d: dict[str, Any]) -> str:
    if not d.get("n"):
        return "none"
    return (
        f"n={d['n']}  median {_s(d['median'])}  p90 {_s(d['p90'])}  "
        f"p99 {_s(d['p99'])}  max {_s(d['max'])}"
    )


def format_summary(s: dict[str, Any]) -> str:
    lines = [
        f"{s['scenario']}: {s['nodes']} nodes ({s['nodes_total']} incl. joins), "
        f"{s['duration_s']:g} s simulated in {s['wall_s']:.1f} s "
        f"({s['sim_speed']:.0f}x real time), seed {s['seed']}, profile {s['profile']}",
        f"  formation          {_s(s['formation_s'])}",
        f"  failover           {_dist(s['failover_s'])}",
        f"  false failovers    {s['false_failovers']}",
        f"  dual-queen time    {s['dual_queen_s']:.3f} s total, "
        f"{s['dual_queen_per_failover_s']:.3f} s per failover",
        f"  role convergence   {_dist(s['role_convergence_s'])}",
        f"  join               {_dist(s['join_s'])}",
        f"  messages           sent {s['msgs_sent_per_node_s']:.2f}/node/s, "
        f"received {s['msgs_recv_per_node_s']:.1f}/node/s, "
        f"{s['bytes_per_node_s'] / 1000:.1f} kB/node/s",
    ]
    if s.get("handover_s", {}).get("n"):
        lines.append(f"  handover           {_dist(s['handover_s'])}")
    viol = s["invariant_violations"]
    if viol:
        lines.append(f"  invariants         {len(viol)} VIOLATED")
        for v in viol[:20]:
            lines.append(f"    t={v['t']}: {v['invariant']}: {v['detail']}")
    else:
        lines.append("  invariants         all held")
    unfinished = [
        k
        for k in ("failovers_unfinished", "role_episodes_unfinished", "joins_unfinished")
        if s.get(k)
    ]
    for k in unfinished:
        lines.append(f"  note: {s[k]} {k.replace('_', ' ')} at the end of the run")
    if s.get("plot"):
        lines.append(f"  plot               {s['plot']}")
    return "\n".join(lines)
