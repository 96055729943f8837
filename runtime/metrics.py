"""Prometheus text exposition of a daemon's counters (format 0.0.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runtime.daemon import Daemon

FAILOVER_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0, 10.0)


def _line(name: str, value: float, **labels: str) -> str:
    if labels:
        inner = ",".join(f'{k}="{_esc(v)}"' for k, v in sorted(labels.items()))
        return f"{name}{{{inner}}} {value:g}"
    return f"{name} {value:g}"


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(d: Daemon) -> str:
    core = d.core
    c = d.counters()
    out: list[str] = []

    def metric(name: str, kind: str, help_: str, samples: list[str]) -> None:
        out.append(f"# HELP {name} {help_}")
        out.append(f"# TYPE {name} {kind}")
        out.extend(samples)

    node = {"node": core.id}
    metric(
        "aware_is_queen",
        "gauge",
        "1 when this node rules the colony",
        [_line("aware_is_queen", 1 if core.queen == core.id else 0, **node)],
    )
    metric(
        "aware_peers",
        "gauge",
        "peers this node hears",
        [_line("aware_peers", len(core.peers), **node)],
    )
    metric(
        "aware_queen_changes_total",
        "counter",
        "times this node saw the queen change",
        [_line("aware_queen_changes_total", c.get("QueenChanged", 0), **node)],
    )
    buckets = []
    for b in FAILOVER_BUCKETS:
        buckets.append(
            _line(
                "aware_failover_seconds_bucket",
                sum(1 for f in d.failovers if f <= b),
                le=f"{b:g}",
                **node,
            )
        )
    buckets.append(_line("aware_failover_seconds_bucket", len(d.failovers), le="+Inf", **node))
    buckets.append(_line("aware_failover_seconds_sum", round(sum(d.failovers), 6), **node))
    buckets.append(_line("aware_failover_seconds_count", len(d.failovers), **node))
    metric(
        "aware_failover_seconds",
        "histogram",
        "from losing the queen's pheromone to following a new queen, seen by this node",
        buckets,
    )
    metric(
        "aware_signals_out_total",
        "counter",
        "signals published",
        [_line("aware_signals_out_total", c.get("bus_sent", 0), **node)],
    )
    metric(
        "aware_signals_in_total",
        "counter",
        "signals received (before validation)",
        [_line("aware_signals_in_total", c.get("bus_received", 0), **node)],
    )
    dropped = [
        _line("aware_signals_dropped_total", v, reason=k[len("bus_dropped_") :], **node)
        for k, v in sorted(c.items())
        if k.startswith("bus_dropped_")
    ]
    dropped += [
        _line("aware_signals_dropped_total", v, reason=k[len("discovery_") :], **node)
        for k, v in sorted(c.items())
        if k.startswith("discovery_beacons_dropped_")
    ]
    metric(
        "aware_signals_dropped_total",
        "counter",
        "received and refused, by reason",
        dropped or [_line("aware_signals_dropped_total", 0, reason="none", **node)],
    )
    wanted: list[str] = []
    holders: list[str] = []
    if core.spec is not None:
        for r in core.spec.spec.roles:
            have = core.peers.holder_count(r.name) + (1 if core.role == r.name else 0)
            wanted.append(_line("aware_role_wanted", r.count, role=r.name, **node))
            holders.append(_line("aware_role_holders", have, role=r.name, **node))
    metric("aware_role_wanted", "gauge", "holders each role wants (the spec)", wanted)
    metric("aware_role_holders", "gauge", "holders of each role this node hears of", holders)
    metric(
        "aware_spec_version",
        "gauge",
        "version of the spec this node holds",
        [_line("aware_spec_version", core.spec.version if core.spec else 0, **node)],
    )
    return "\n".join(out) + "\n"
