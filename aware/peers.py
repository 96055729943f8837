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
    payload: dict[str, Any] | None = None  # the last liveness payload, to skip re-parsing

    def stale(self, now: float) -> bool:
        """True when a beat is overdue (the peer may be gone; it is not yet expired)."""
        return now - self.last_seen > 1.5 * self.interval


def parse_liveness(
    payload: dict[str, Any], prev: Peer | None = None
) -> tuple[DNA, float, str | None, dict[str, float], tuple[int, str]]:
    """Decode a liveness payload; raises ValidationError on malformed content.

    With ``prev`` (the peer's last record), an unchanged DNA summary is not re-parsed.
    """
    raw_dna = payload.get("dna", {})
    if prev is not None and prev.payload is not None and raw_dna == prev.payload.get("dna"):
        dna = prev.dna
    else:
        dna = DNA.from_summary(raw_dna)
    interval = payload.get("i", 1.0)
    if type(interval) not in _NUMS or not (0.001 <= interval <= MAX_INTERVAL):
        raise ValidationError("i", "beat interval out of range")
    role = payload.get("r")
    if role is not None and type(role) is not str:
        raise ValidationError("r", "role must be a string")
    exp_in = payload.get("x")
    exp: dict[str, float]
    if exp_in is None:
        exp = {}
    elif prev is not None and prev.payload is not None and exp_in == prev.payload.get("x"):
        exp = prev.experience
    else:
        exp = _parse_experience(exp_in)
    sv = payload.get("sv", _NO_SPEC)
    if (
        type(sv) not in (list, tuple)
        or len(sv) != 2
        or type(sv[0]) is not int
        or type(sv[1]) is not str
    ):
        raise ValidationError("sv", "spec key must be [version, digest]")
    return dna, float(interval), role, exp, (sv[0], sv[1])


_NUMS = (int, float)
_NO_SPEC = (0, "")
MAX_INTERVAL = 86_400.0


def _parse_experience(exp_in: Any) -> dict[str, float]:
    if not isinstance(exp_in, dict):
        raise ValidationError("x", "experience must be a mapping")
    exp: dict[str, float] = {}
    for k, v in exp_in.items():
        if type(k) is not str or type(v) not in _NUMS:
            raise ValidationError("x", "experience must map role names to numbers")
        exp[k] = min(1.0, max(0.0, float(v)))
    return exp


class PeerTable:
    """Peers by id, holders by role, and the earliest moment any peer may expire."""

    __slots__ = (
        "_fast",
        "_next_fast",
        "_next_slow",
        "expiry_beats",
        "fast_cut",
        "holders",
        "peers",
        "slow_period",
        "version",
    )

    def __init__(self, expiry_beats: float, fast_cut: float = 1.0) -> None:
        self.peers: dict[str, Peer] = {}
        self.holders: dict[str, set[str]] = {}
        self.expiry_beats = expiry_beats
        self.version = 0  # bumped when membership or a role changes (invalidates ranks)
        # Two sweep lanes: fast-beating peers (queen, holders) are few and checked
        # often; the many slow idle peers are scanned only when one of them may expire.
        self.fast_cut = fast_cut
        self.slow_period = 2.0 * fast_cut
        self._fast: set[str] = set()
        self._next_fast = float("inf")
        self._next_slow = float("inf")

    def __len__(self) -> int:
        return len(self.peers)

    def __contains__(self, peer_id: object) -> bool:
        return peer_id in self.peers

    def get(self, peer_id: str) -> Peer | None:
        return self.peers.get(peer_id)

    def update(
        self,
        sender: str,
        stamp: tuple[float, int],
        kind: str,
        payload: dict[str, Any],
        now: float,
        term: int = 0,
    ) -> tuple[Peer, bool, bool]:
        """Record a liveness signal. Returns (peer, is_new, role_changed)."""
        peer = self.peers.get(sender)
        if peer is not None:
            if stamp <= peer.stamp:
                return peer, False, False  # reordered or duplicated: keep the newer
            if payload == peer.payload:  # the common case: nothing but time has changed
                peer.last_seen = now
                peer.expires_at = now + self.expiry_beats * peer.interval
                peer.stamp = stamp
                peer.kind = kind
                if term:
                    peer.term = term
                return peer, False, False
        dna, interval, role, exp, spec_key = parse_liveness(payload, peer)
        expires_at = now + self.expiry_beats * interval
        is_new = peer is None
        if peer is None:
            peer = Peer(sender, dna, dna.fitness(), now, interval, expires_at)
            self.peers[sender] = peer
            self.version += 1
        else:
            if peer.dna != dna:
                peer.dna, peer.fitness = dna, dna.fitness()
                self.version += 1
            peer.last_seen, peer.interval, peer.expires_at = now, interval, expires_at
        peer.stamp, peer.kind, peer.experience, peer.spec_key = stamp, kind, exp, spec_key
        peer.payload = payload
        if term:
            peer.term = term
        role_changed = peer.role != role
        if role_changed:
            self._set_role(peer, role)
        if interval <= self.fast_cut and kind != "queen":
            # (the queen's death is noticed by its decaying pheromone, not by a sweep)
            self._fast.add(sender)
            if expires_at < self._next_fast:
                self._next_fast = expires_at
        else:
            self._fast.discard(sender)
            if expires_at < self._next_slow and kind != "queen":
                self._next_slow = expires_at
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
        self._fast.discard(peer_id)
        peer = self.peers.pop(peer_id, None)
        if peer is not None:
            if peer.role is not None:
                self.holders.get(peer.role, set()).discard(peer_id)
            self.version += 1
        return peer

    @property
    def next_sweep(self) -> float:
        """When a sweep is needed. Idle peers get a slack of ``fast_cut``: their sweep
        usually rides on a wake the node has anyway (see :meth:`sweep`)."""
        slow = self._next_slow + self.slow_period
        return self._next_fast if self._next_fast < slow else slow

    def sweep(self, now: float) -> list[str]:
        """Remove and return the peers whose expiry has passed."""
        gone: list[str] = []
        peers = self.peers
        if now >= self._next_slow:
            soonest = float("inf")
            fast = self._fast
            for p in peers.values():
                exp = p.expires_at
                if exp <= now:
                    gone.append(p.id)
                elif exp < soonest and p.id not in fast and p.kind != "queen":
                    soonest = exp
            for pid in gone:
                self.remove(pid)
            # idle peers are checked at most every slow_period: their death is news
            # for nobody's role, so a little lateness buys far fewer scans
            self._next_slow = max(now + self.slow_period, soonest)
        if now >= self._next_fast:
            fast_gone = [pid for pid in self._fast if peers[pid].expires_at <= now]
            for pid in fast_gone:
                self.remove(pid)
            gone.extend(fast_gone)
            self._next_fast = min(
                (peers[pid].expires_at for pid in self._fast), default=float("inf")
            )
        return gone

    def holder_count(self, role: str) -> int:
        held = self.holders.get(role)
        return len(held) if held else 0
