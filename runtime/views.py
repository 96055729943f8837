"""JSON views of a daemon's state, shared by the API, the event stream and the dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime.daemon import Daemon


def node_views(d: Daemon) -> list[dict[str, Any]]:
    core = d.core
    now = d.clock()
    out: list[dict[str, Any]] = [
        {
            "id": core.id,
            "addr": d.advertised_endpoint(),
            "role": core.role,
            "state": core.state.value,
            "last_seen_s": 0.0,
            "dna": {**core.dna.summary(), "l": dict(core.dna.labels)},
            "spec_version": core.spec.version if core.spec else 0,
            "self": True,
        }
    ]
    for peer in sorted(core.peers.peers.values(), key=lambda p: p.id):
        found = d.discovery.peers.get(peer.id) if d.discovery else None
        out.append(
            {
                "id": peer.id,
                "addr": found.endpoint if found else "",
                "role": peer.role,
                "state": {"queen": "queen", "candidate": "candidate"}.get(peer.kind, "worker"),
                "last_seen_s": round(max(0.0, now - peer.last_seen), 3),
                "dna": peer.dna.summary(),
                "spec_version": peer.spec_key[0],
            }
        )
    return out


def spec_view(d: Daemon) -> dict[str, Any] | None:
    core = d.core
    if core.spec is None:
        return None
    roles = []
    for r in core.spec.spec.roles:
        holders = sorted(core.peers.holders.get(r.name, set()))
        if core.role == r.name:
            holders = sorted([*holders, core.id])
        roles.append({"name": r.name, "want": r.count, "have": len(holders), "nodes": holders})
    peers = core.peers.peers.values()
    holding = 1 + sum(1 for p in peers if p.spec_key == (core.spec.version, core.spec.digest))
    return {
        "version": core.spec.version,
        "digest": core.spec.digest,
        "name": core.spec.spec.name,
        "issued_at": core.spec.issued_at,
        "origin": core.spec.origin,
        "spec": core.spec.spec.to_dict(),
        "roles": roles,
        "spread": {"holders": holding, "of": 1 + len(core.peers)},
    }


def colony_view(d: Daemon) -> dict[str, Any]:
    core = d.core
    return {
        "colony": d.cfg.colony,
        "node": core.id,
        "queen": core.queen,
        "term": core.queen_term,
        "open_mode": d.auth.open_mode,
        "nodes": node_views(d),
        "spec": spec_view(d),
        "counters": d.counters(),
    }
