"""The last-value table of peers a node has heard from, with expiry.

Each peer's newest liveness signal (presence, role, queen or candidate) replaces the
previous one; a peer that stays silent for ``expiry_beats`` of its own advertised
intervals expires. Holders of each role are indexed so demand is O(1) to read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aware.dna import DNA
from aware.errors import ValidationError


@dataclass(slots=True)
class Peer:
    """What a node knows of one peer, from that peer's latest liveness signal."""

    id: str
    dna: DNA
    fitness: float
    last_seen: float
    interval: float
    expires_at: float
    stamp: tuple[float, int] = (-1.0, -1)  # (incarnation, seq) of the newest signal
    role: str | None = None
    experience: dict[str, float] = field(default_factory=dict)
    spec_key: tuple[int, str] = (0, "")
    kind: str = "presence"
    term: int = 0
    addr: str = ""

    def stale(self, now: float) -> bool:
        """True when a beat is overdue (the peer may be gone; it is not yet expired)."""
        return now - self.last_seen > 1.5 * self.interval


def parse_liveness(payload: dict[str, Any]) -> tuple[DNA, float, str | None, dict[str, float],
                                                     tuple[int, str]]:
    """Decode a liveness payload; raises ValidationError on malformed content."""
    dna = DNA.from_summary(payload.get("dna", {}))
    interval = payload.get("i", 1.0)
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not (
        0.001 <= interval <= 3600
    ):
        raise ValidationError("i", "beat interval out of range")
    role = payload.get("r")
    if role is not None and not isinstance(role, str):
        raise ValidationError("r", "role must be a string")
    exp_in = payload.get("x", {})
    if not isinstance(exp_in, dict):
        raise ValidationError("x", "experience must be a mapping")
    exp: dict[str, float] = {}
    for k, v in exp_in.items():
        if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, int | float):
            raise ValidationError("x", "experience must map role names to numbers")
        exp[k] = min(1.0, max(0.0, float(v)))
    sv = payload.get("sv", (0, ""))
    if (
        not isinstance(sv, list | tuple)
        or len(sv) != 2
        or isinstance(sv[0], bool)
        or not isinstance(sv[0], int)
        or not isinstance(sv[1], str)
    ):
        raise ValidationError("sv", "spec key must be [version, digest]")
    return dna, float(interval), role, exp, (int(sv[0]), sv[1])


class PeerTable:
    """Peers by id, holders by role, and the earliest moment any peer may expire."""

    __slots__ = ("_next_sweep", "expiry_beats", "holders", "peers", "version")

    def __init__(self, expiry_beats: float) -> None:
        self.peers: dict[str, Peer] = {}
        self.holders: dict[str, set[str]] = {}
        self.expiry_beats = expiry_beats
        self.version = 0  # bumped when membership or a role changes (invalidates ranks)
        self._next_sweep = float("inf")

    def __len__(self) -> int:
        return len(self.peers)

    def __contains__(self, peer_id: object) -> bool:
        return peer_id in self.peers

    def get(self, peer_id: str) -> Peer | None:
        return self.peers.get(peer_id)

    def update(
        self, sender: str, stamp: tuple[float, int], kind: str, payload: dict[str, Any], now: float, term: int = 0
    ) -> tuple[Peer, bool, bool]:
        """Record a liveness signal. Returns (peer, is_new, role_changed)."""
        dna, interval, role, exp, spec_key = parse_liveness(payload)
        expires_at = now + self.expiry_beats * interval
        peer = self.peers.get(sender)
        is_new = peer is None
        if peer is None:
            peer = Peer(sender, dna, dna.fitness(), now, interval, expires_at)
            self.peers[sender] = peer
            self.version += 1
        elif stamp <= peer.stamp:
            return peer, False, False  # reordered or duplicated: keep the newer
        else:
            if peer.dna != dna:
                peer.dna, peer.fitness = dna, dna.fitness()
                self.version += 1
            peer.last_seen, peer.interval, peer.expires_at = now, interval, expires_at
        peer.stamp, peer.kind, peer.experience, peer.spec_key = stamp, kind, exp, spec_key
        if term:
            peer.term = term
        role_changed = peer.role != role
        if role_changed:
            self._set_role(peer, role)
        if expires_at < self._next_sweep:
            self._next_sweep = expires_at
        return peer, is_new, role_changed

    def _set_role(self, peer: Peer, role: str | None) -> None:
        if peer.role is not None:
            held = self.holders.get(peer.role)
            if held is not None:
                held.discard(peer.id)
        if role is not None:
            self.holders.setdefault(role, set()).add(peer.id)
        peer.role = role
        self.version += 1

    def remove(self, peer_id: str) -> Peer | None:
        peer = self.peers.pop(peer_id, None)
        if peer is not None:
            if peer.role is not None:
                self.holders.get(peer.role, set()).discard(peer_id)
            self.version += 1
        return peer

    @property
    def next_sweep(self) -> float:
        return self._next_sweep

    def sweep(self, now: float) -> list[str]:
        """Remove and return the peers whose expiry has passed."""
        if now < self._next_sweep:
            return []
        gone = [p.id for p in self.peers.values() if p.expires_at <= now]
        for pid in gone:
            self.remove(pid)
        self._next_sweep = min((p.expires_at for p in self.peers.values()), default=float("inf"))
        return gone

    def holder_count(self, role: str) -> int:
        held = self.holders.get(role)
        return len(held) if held else 0
