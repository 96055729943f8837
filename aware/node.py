"""The node state machine: events in, actions out, no clock, no I/O.

A :class:`Node` holds one colony member's view. Drivers feed it events (see
:mod:`aware.events`) and carry out the actions it returns (see :mod:`aware.actions`);
between events they sleep until :attr:`Node.next_deadline` or the next message.

The rules, in one place:

* Liveness: every node beats a liveness signal (presence, role or queen) at an
  interval set by its state; peers expire after ``expiry_beats`` silent intervals.
* Queen: the queen's pheromone decays with ``queen_half_life``; below
  ``queen_threshold`` it is absent. A queenless node's stimulus grows linearly and it
  self-selects with the response-threshold probability, its threshold rising with its
  fitness rank. A self-selected node is a *candidate* for ``candidate_phase`` and rules
  unless it senses a queen or a dominant candidate (fitness, then id). A queen that
  senses a dominant queen (term, fitness, id) abdicates. A leaving queen hands over.
* Roles: demand is ``wanted - holders``. An idle, eligible node takes a role with the
  response-threshold probability on a stimulus that grows while demand is unmet, its
  threshold rising with its rank among idle eligible nodes (merit: zone spread,
  experience, suitability). Over-filled roles shed their lowest-merit holders.
  Experience grows while doing a role and fades otherwise (reinforcement).
* Spec: versioned; the highest key wins; every holder re-emits it; a node that hears
  a peer advertise an older spec repairs it after a short random delay, unless it
  hears someone else do so first.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from aware import actions as A
from aware.dna import DNA
from aware.errors import RemoteProtocolError, ValidationError
from aware.events import (
    Event,
    Handover,
    RestoreSpec,
    Shutdown,
    SignalReceived,
    Start,
    SubmitSpec,
    Tick,
)
from aware.params import PolicyParams
from aware.peers import Peer, PeerTable
from aware.signals import Kind, Signal, level
from aware.spec import ClusterSpec, RoleSpec, VersionedSpec
from aware.thresholds import (
    experience,
    experience_level,
    ranked_threshold,
    response_probability,
)

INF = float("inf")
_PRESENCE = Kind.PRESENCE
_ROLE = Kind.ROLE
_QUEEN = Kind.QUEEN
QUIET: tuple[A.Action, ...] = ()  # returned when an event changed nothing but timestamps
RANK_CAP = 16  # ranks past demand + 16 have thresholds 2^16 times the best: never chosen


class State(StrEnum):
    NEW = "new"
    WORKER = "worker"
    CANDIDATE = "candidate"
    QUEEN = "queen"
    STOPPED = "stopped"


_WORKER = State.WORKER
_CANDIDATE = State.CANDIDATE


class Node:
    """One colony member's policy: a pure state machine."""

    def __init__(
        self, node_id: str, dna: DNA, params: PolicyParams, rng: random.Random, addr: str = ""
    ) -> None:
        self.id = node_id
        self.dna = dna
        self.fitness = dna.fitness()
        self.params = params
        self.addr = addr
        self._rng = rng
        self.state = State.NEW
        self.role: str | None = None
        self.spec: VersionedSpec | None = None
        self._spec_short: tuple[int, str] = (0, "")
        self.queen: str | None = None  # the queen this node senses (itself when ruling)
        self.term = 0  # the highest term heard of
        self.reign_term = 0  # the term this node rules under (0: not ruling)
        self.peers = PeerTable(params.expiry_beats)
        self._peer_map = self.peers.peers
        self._timeout = params.queen_timeout
        self._expiry_beats = params.expiry_beats
        self._running = False
        self._inc = 0.0
        self._seq = 0
        self._started = 0.0
        self._queens: dict[str, tuple[float, int, float]] = {}  # id -> (seen, term, fitness)
        self._queen_until = INF
        self._absent_since = 0.0
        self._candidates: dict[str, tuple[float, float]] = {}  # id -> (until, fitness)
        self._candidate_until = INF
        self._next_select = INF
        self._next_role = INF
        self._next_beat = INF
        self._next_spec = INF
        self._repair_at = INF
        self._last_beat = -INF
        self._idle_iv = params.idle_beat
        self._last_payload: dict[str, Any] = {}
        self._demand_since: dict[str, float] = {}
        self._exp: dict[str, tuple[float, float]] = {}  # role -> (experience, as of)
        self._rank_cache: dict[str, tuple[tuple[int, str], int, float]] = {}
        self._fit_rank: tuple[int, int, float] | None = None
        self._deadline: float | None = INF

    # ------------------------------------------------------------------ public API

    @property
    def next_deadline(self) -> float:
        """When the driver must deliver a :class:`Tick` next.

        It may be earlier than needed (ticking early is harmless and cheap), never later.
        """
        if self._deadline is None:
            self._deadline = self._compute_deadline()
        return self._deadline

    @property
    def alive(self) -> bool:
        return self._running

    def handle(self, event: Event) -> Sequence[A.Action]:
        """Feed one event; returns the actions the driver must carry out, in order."""
        if isinstance(event, SignalReceived):
            return self.on_signal(event.now, event.signal)
        if isinstance(event, Tick):
            return self.on_tick(event.now)
        if isinstance(event, Start):
            return self.on_start(event.now)
        if isinstance(event, SubmitSpec):
            return self.on_submit(event.now, event.spec)
        if isinstance(event, Shutdown):
            return self.on_shutdown(event.now)
        if isinstance(event, RestoreSpec):
            return self.on_restore(event.now, event.spec)
        if isinstance(event, Handover):
            return self.on_handover(event.now)
        raise TypeError(f"not an event: {event!r}")

    def queen_level(self, now: float) -> float:
        """The queen pheromone this node senses now (1.0 when it rules itself)."""
        if self.state is State.QUEEN:
            return 1.0
        best = 0.0
        for seen, _term, _fit in self._queens.values():
            best = max(best, level(1.0, now - seen, self.params.queen_half_life))
        return best

    @property
    def queen_term(self) -> int:
        """The term of the queen this node follows (0 when it senses none)."""
        if self.queen is None:
            return 0
        if self.queen == self.id:
            return self.reign_term
        seen = self._queens.get(self.queen)
        return seen[1] if seen else self.term

    def experience(self, role: str, now: float) -> float:
        x0, t0 = self._exp.get(role, (0.0, now))
        p = self.params
        return experience(x0, self.role == role, now - t0, p.learn_rate, p.forget_rate)

    def role_demand(self) -> dict[str, tuple[int, int]]:
        """This node's view of each role: (wanted, holders)."""
        if self.spec is None:
            return {}
        return {r.name: (r.count, self._holders(r.name)) for r in self.spec.spec.roles}

    # ------------------------------------------------------------------ events

    def on_start(self, now: float) -> list[A.Action]:
        if self.state not in (State.NEW, State.STOPPED):
            return []
        self.state = State.WORKER
        self._running = True
        self._inc = now
        self._started = now
        self._absent_since = now
        self._next_select = now + self.params.discovery_window
        self._next_beat = now
        self._deadline = None
        return self.on_tick(now)

    def on_submit(self, now: float, spec: ClusterSpec) -> list[A.Action]:
        if not self.alive:
            raise RuntimeError("cannot submit a spec to a node that is not running")
        newest = max([p.spec_key[0] for p in self.peers.peers.values()], default=0)
        version = max(newest, self.spec.version if self.spec else 0) + 1
        vs = VersionedSpec(spec, version, now, self.id)
        out: list[A.Action] = []
        self._adopt(vs, now, out, submitted=True)
        out.append(self._emit(Kind.SPEC, now, vs.to_payload()))
        self._deadline = None
        return out

    def on_restore(self, now: float, spec: VersionedSpec) -> list[A.Action]:
        """Adopt a spec remembered from before a restart, unless a newer one is held."""
        out: list[A.Action] = []
        if self._running and (self.spec is None or spec.key > self.spec.key):
            self._adopt(spec, now, out, submitted=False)
        return out

    def on_handover(self, now: float) -> list[A.Action]:
        """A queen names the fittest peer her successor and becomes a worker."""
        if not self._running or self.state is not State.QUEEN:
            return []
        out: list[A.Action] = []
        heir = self._hand_over(now, out, "handover")
        if heir is None:
            return out
        self.state = State.WORKER
        self.reign_term = 0
        self._queens[heir.id] = (now, self.term, heir.fitness)
        self.queen = None
        self._set_view(heir.id, now, out)
        self._next_beat = now
        self._deadline = None
        return out

    def _hand_over(self, now: float, out: list[A.Action], reason: str) -> Peer | None:
        heir = self._heir(now)
        if heir is not None:
            self.term += 1
            payload = {"to": heir.id, "t": self.term}
            for _ in range(int(self.params.handover_copies)):
                out.append(self._emit(Kind.HANDOVER, now, payload))
            out.append(A.Abdicate(reason, heir.id))
        elif reason == "shutdown":
            out.append(A.Abdicate(reason, None))
        return heir

    def on_shutdown(self, now: float) -> list[A.Action]:
        if not self.alive:
            return []
        out: list[A.Action] = []
        if self.role is not None:
            self._change_role(None, now, out, reason="shutdown", announce=False)
        if self.state is State.QUEEN:
            self._hand_over(now, out, "shutdown")
        out.append(self._emit(Kind.LEAVE, now, {}))
        self.state = State.STOPPED
        self._running = False
        self.queen = None
        out.append(A.Stopped())
        self._deadline = INF
        return out

    def on_signal(self, now: float, sig: Signal) -> Sequence[A.Action]:
        if not self._running or sig.sender == self.id:
            return []
        kind = sig.kind
        if kind is _PRESENCE or kind is _ROLE or kind is _QUEEN:  # (no Enum hashing here)
            # Fast path, the bulk of all traffic: a known peer (or the queen this node
            # already follows) beats with nothing new. Only timestamps move, and they
            # only move deadlines later, which may stay early (see next_deadline).
            sender = sig.sender
            peer = self._peer_map.get(sender)
            if peer is not None:
                payload = sig.payload
                stamp = (sig.incarnation, sig.seq)
                if (
                    (payload is peer.payload or payload == peer.payload)
                    and stamp > peer.stamp
                    and (peer.spec_key == self._spec_short or self.spec is None)
                    and (kind is not _QUEEN or (sender == self.queen and self.state is _WORKER))
                ):
                    peer.last_seen = now
                    peer.expires_at = now + self._expiry_beats * peer.interval
                    peer.stamp = stamp
                    peer.kind = kind
                    if kind is _QUEEN:
                        self._queens[sender] = (now, peer.term, peer.fitness)
                        self._queen_until = now + self._timeout
                    return QUIET
        out: list[A.Action] = []
        try:
            if kind is Kind.PRESENCE or kind is Kind.ROLE:
                self._liveness(sig, now, out)
            elif kind is Kind.QUEEN:
                self._on_queen(sig, now, out)
            elif kind is Kind.CANDIDATE:
                self._on_candidate(sig, now, out)
            elif kind is Kind.SPEC:
                self._on_spec(sig, now, out)
            elif kind is Kind.HANDOVER:
                self._on_handover(sig, now, out)
            elif kind is Kind.LEAVE:
                self._on_leave(sig.sender, now, out)
            else:
                raise RemoteProtocolError(f"unknown signal kind {kind!r}", "unknown_kind")
        except ValidationError as err:
            raise RemoteProtocolError(f"{kind} from {sig.sender}: {err}") from None
        return out

    def on_tick(self, now: float) -> list[A.Action]:
        if not self._running:
            return []
        exact = self._compute_deadline()
        if now < exact:  # woken early (deadlines may be stale-early): nothing is due
            self._deadline = exact
            return []
        out: list[A.Action] = []
        self._expire(now, out)
        if self.state is State.CANDIDATE and now >= self._candidate_until:
            self._crown(self.term + 1, now, out)
        elif self.state is State.WORKER and self.queen is None and now >= self._next_select:
            self._self_select(now, out)
        if self.spec is not None and now >= self._next_role:
            self._role_step(now, out)
        if now >= self._next_spec and self.spec is not None:
            self._emit_spec(now, out)
        if now >= self._repair_at:
            self._repair_at = INF
            if self.spec is not None:
                self._emit_spec(now, out, reschedule=False)
        if now >= self._next_beat:
            out.append(self._beat(now))
        self._deadline = None
        return out

    # ------------------------------------------------------------------ liveness

    def _beat_interval(self) -> float:
        p = self.params
        if self.state is State.QUEEN or self.state is State.CANDIDATE:
            return p.queen_beat
        if self.role is not None:
            return p.holder_beat
        n = len(self.peers) + 1
        current = self._idle_iv
        # hysteresis: keep the advertised interval while the colony drifts by ~10%
        if not p.idle_interval(int(n * 0.9)) <= current <= p.idle_interval(int(n * 1.1) + 1):
            current = self._idle_iv = p.idle_interval(n)
        return current

    def _liveness_payload(self, now: float) -> dict[str, Any]:
        interval = self._beat_interval()
        payload: dict[str, Any] = {"dna": self.dna.summary(), "i": interval}
        if self.role is not None:
            payload["r"] = self.role
            payload["x"] = {self.role: experience_level(self.experience(self.role, now))}
        else:
            xs = {r: experience_level(self.experience(r, now)) for r in self._exp}
            xs = {r: x for r, x in xs.items() if x > 0}
            if xs:
                payload["x"] = xs
        if self.spec is not None:
            payload["sv"] = [self.spec.version, self.spec.digest]
        if self.state is State.QUEEN:
            payload["t"] = self.reign_term
        return payload

    def _beat(self, now: float) -> A.Emit:
        if self.state is State.QUEEN:
            kind = Kind.QUEEN
        elif self.role is not None:
            kind = Kind.ROLE
        else:
            kind = Kind.PRESENCE
        self._last_beat = now
        self._next_beat = now + self._beat_interval()
        self._deadline = None
        payload = self._liveness_payload(now)
        if payload == self._last_payload:
            payload = self._last_payload  # the same object: receivers compare by identity
        self._last_payload = payload
        return self._emit(kind, now, payload)

    def _emit(self, kind: Kind, now: float, payload: dict[str, Any]) -> A.Emit:
        self._seq += 1
        return A.Emit(Signal(self.id, kind, self._seq, now, self._inc, 1.0, payload))

    def _liveness(self, sig: Signal, now: float, out: list[A.Action], term: int = 0) -> Peer:
        peer, is_new, role_changed = self.peers.update(
            sig.sender, sig.stamp, sig.kind, sig.payload, now, term
        )
        if is_new:
            out.append(A.PeerJoined(sig.sender))
        if role_changed or is_new:
            self._wake_roles(now)
        if self.spec is not None and peer.spec_key != self._spec_short:
            self._check_stale(peer.spec_key, now)
        nxt = self.peers.next_sweep
        if self._deadline is not None and nxt < self._deadline:
            self._deadline = nxt
        return peer

    def _expire(self, now: float, out: list[A.Action]) -> None:
        for pid in self.peers.sweep(now):
            out.append(A.PeerLost(pid, "expired"))
            self._wake_roles(now)
        if self._queens:
            for qid, (seen, _t, _f) in list(self._queens.items()):
                if seen + self._timeout <= now:
                    del self._queens[qid]
                    # a queen whose pheromone has faded is gone: so is her role
                    if self.peers.remove(qid) is not None:
                        out.append(A.PeerLost(qid, "expired"))
                        self._wake_roles(now)
            if self.queen is not None and self.queen != self.id and self.queen not in self._queens:
                self._absent_since = self._queen_until
                self._set_view(None, now, out)
        if self.queen is None and self._queens:
            self._set_view(self._dominant_queen(), now, out)
        for cid, (until, _f) in list(self._candidates.items()):
            if until <= now:
                del self._candidates[cid]

    # ------------------------------------------------------------------ the queen

    def _key(self) -> tuple[int, float, str]:
        return (self.reign_term, self.fitness, self.id)

    def _dominant_queen(self) -> str | None:
        best: tuple[int, float, str] | None = None
        for qid, (_seen, term, fit) in self._queens.items():
            key = (term, fit, qid)
            if best is None or key > best:
                best = key
        return best[2] if best else None

    def _set_view(self, queen: str | None, now: float, out: list[A.Action]) -> None:
        if queen == self.queen:
            return
        self.queen = queen
        if queen is None:
            self._queen_until = INF
            self._next_select = max(self._next_select, now) if self._next_select < INF else now
        elif queen == self.id:
            self._queen_until = INF
        else:
            self._queen_until = self._queens[queen][0] + self._timeout
        self._deadline = None
        out.append(A.QueenChanged(queen, self.term))

    def _on_queen(self, sig: Signal, now: float, out: list[A.Action]) -> None:
        term = sig.payload.get("t", 0)
        if isinstance(term, bool) or not isinstance(term, int) or term < 0:
            raise ValidationError("t", "term must be a non-negative integer")
        peer = self._liveness(sig, now, out, term)
        self.term = max(self.term, term)
        self._queens[sig.sender] = (now, term, peer.fitness)
        key = (term, peer.fitness, sig.sender)
        if self.state is State.QUEEN:
            if key > self._key():
                self.state = State.WORKER
                self.reign_term = 0
                out.append(A.Abdicate("dominated", sig.sender))
                self.queen = None
                self._set_view(sig.sender, now, out)
                self._next_beat = now  # announce the step-down at once
            elif now - self._last_beat > 0.1 * self.params.queen_beat:
                out.append(self._beat(now))  # let the dominated queen hear me at once
            return
        if self.state is State.CANDIDATE:
            self.state = State.WORKER
            self._candidate_until = INF
            out.append(A.Abdicate("queen sensed", sig.sender))
        view = self.queen
        if view is None or view == sig.sender or key > self._view_key():
            if view == sig.sender:
                # the deadline only moves later: leave it early, on_tick re-checks
                self._queen_until = now + self._timeout
            else:
                self._set_view(sig.sender, now, out)

    def _view_key(self) -> tuple[int, float, str]:
        assert self.queen is not None
        seen = self._queens.get(self.queen)
        if seen is None:
            return (-1, 0.0, "")
        return (seen[1], seen[2], self.queen)

    def _on_candidate(self, sig: Signal, now: float, out: list[A.Action]) -> None:
        peer = self._liveness(sig, now, out)
        self._candidates[sig.sender] = (now + self.params.candidate_hold, peer.fitness)
        if self.state is State.QUEEN:
            if now - self._last_beat > 0.1 * self.params.queen_beat:
                out.append(self._beat(now))  # refute: the queen is alive
        elif self.state is State.CANDIDATE and (peer.fitness, sig.sender) > (self.fitness, self.id):
            self.state = State.WORKER
            self._candidate_until = INF
            self._next_select = now + self.params.select_tick
            out.append(A.Abdicate("dominant candidate", sig.sender))
            self._deadline = None

    def _on_handover(self, sig: Signal, now: float, out: list[A.Action]) -> None:
        heir, term = sig.payload.get("to"), sig.payload.get("t")
        if not isinstance(heir, str) or isinstance(term, bool) or not isinstance(term, int):
            raise ValidationError("handover", "needs 'to' (node id) and 't' (term)")
        self._queens.pop(sig.sender, None)
        if term <= self.term and heir != self.id:
            return
        self.term = max(self.term, term)
        if heir == self.id:
            if self.state is not State.QUEEN:
                self._crown(term, now, out)
            return
        peer = self.peers.get(heir)
        self._queens[heir] = (now, term, peer.fitness if peer else 0.0)
        if self.state is State.CANDIDATE:
            self.state = State.WORKER
            self._candidate_until = INF
            out.append(A.Abdicate("handover", heir))
        if self.state is State.QUEEN:
            self.state = State.WORKER
            self.reign_term = 0
            out.append(A.Abdicate("handover", heir))
        self.queen = None
        self._set_view(heir, now, out)

    def _on_leave(self, sender: str, now: float, out: list[A.Action]) -> None:
        if self.peers.remove(sender) is not None:
            out.append(A.PeerLost(sender, "left"))
        self._candidates.pop(sender, None)
        if self._queens.pop(sender, None) is not None and self.queen == sender:
            self._absent_since = now
            self._set_view(self._dominant_queen(), now, out)
        self._wake_roles(now)

    def _heir(self, now: float) -> Peer | None:
        fresh = [p for p in self.peers.peers.values() if not p.stale(now)]
        return max(fresh, key=lambda p: (p.fitness, p.id), default=None)

    def _fitness_rank(self, now: float) -> int:
        """How many fresh peers are fitter than this node (0: the fittest).

        Kept for a few selection ticks: peers join, leave or go stale slower than that."""
        cached = self._fit_rank
        if cached is not None and cached[0] == self.peers.version and now - cached[2] < 0.1:
            return cached[1]
        f, me = self.fitness, self.id
        rank = 0
        for p in self.peers.peers.values():
            pf = p.fitness
            if (pf > f or (pf == f and p.id > me)) and now - p.last_seen <= 1.5 * p.interval:
                rank += 1
        self._fit_rank = (self.peers.version, rank, now)
        return rank

    def _self_select(self, now: float, out: list[A.Action]) -> None:
        p = self.params
        self._next_select = now + p.select_tick
        self._deadline = None
        if self._candidates:
            return  # a rival's candidacy inhibits self-selection while it is sensed
        origin = max(self._absent_since, self._started + p.discovery_window)
        stimulus = p.stimulus_rate * (now - origin)
        rank = self._fitness_rank(now)
        theta = ranked_threshold(p.theta_queen, p.theta_growth, rank)
        if self._rng.random() < response_probability(stimulus, theta, p.response_exponent):
            self.state = State.CANDIDATE
            self._candidate_until = now + p.candidate_phase
            out.append(A.BecomeCandidate(rank))
            out.append(self._emit(Kind.CANDIDATE, now, self._liveness_payload(now)))

    def _crown(self, term: int, now: float, out: list[A.Action]) -> None:
        self.state = State.QUEEN
        self.term = max(self.term, term)
        self.reign_term = term
        self._candidate_until = INF
        self._candidates.clear()
        out.append(A.BecomeQueen(term))
        self._set_view(self.id, now, out)
        out.append(self._beat(now))

    # ------------------------------------------------------------------ roles

    def _wake_roles(self, now: float) -> None:
        if self.spec is not None and self._next_role > now:
            self._next_role = now
            self._deadline = now

    def _holders(self, role: str) -> int:
        return self.peers.holder_count(role) + (1 if self.role == role else 0)

    def _zone_load(self, role: str, zone: str) -> int:
        load = 1 if self.role == role and self.dna.zone == zone else 0
        for pid in self.peers.holders.get(role, ()):
            if self.peers.peers[pid].dna.zone == zone:
                load += 1
        return load

    def _merit(
        self, rs: RoleSpec, node_id: str, dna: DNA, x: float, holding: bool
    ) -> tuple[int, float, float, str]:
        """Higher is better: zone spread, experience (reinforcement), suitability, id."""
        spread = 0
        if rs.spread:
            load = self._zone_load(rs.name, dna.zone)
            spread = -(load if holding else load + 1)
        return (spread, experience_level(x), rs.suitability(dna), node_id)

    def _role_step(self, now: float, out: list[A.Action]) -> None:
        assert self.spec is not None
        spec = self.spec.spec
        self._next_role = INF
        unmet = False
        before = self.role
        if self.role is not None:
            rs = spec.role(self.role)
            if rs is None:
                self._change_role(None, now, out, reason="not in spec")
            elif not rs.requires.met_by(self.dna):
                self._change_role(None, now, out, reason="requirements not met")
            else:
                unmet = self._maybe_shed(rs, now, out)
                if self.role is not None and not unmet:
                    unmet = self._maybe_switch(spec, rs, now, out)
        if self.role is None:
            unmet = self._maybe_take(spec, now, out) or unmet
        if unmet or self.role != before:
            # unmet demand, or a role just taken: look again once rivals have spoken
            self._next_role = now + self.params.role_tick
        self._deadline = None

    def _maybe_shed(self, rs: RoleSpec, now: float, out: list[A.Action]) -> bool:
        held = self.peers.holders.get(rs.name, set())
        excess = len(held) + 1 - rs.count
        if excess <= 0:
            return False
        merits = []
        for pid in held:
            peer = self.peers.peers[pid]
            x = peer.experience.get(rs.name, 0.0)
            merits.append(self._merit(rs, pid, peer.dna, x, True))
        mine = self._merit(rs, self.id, self.dna, self.experience(rs.name, now), True)
        below = sum(1 for m in merits if m < mine)
        if below < excess:
            self._change_role(None, now, out, reason="over-filled")
            return False
        return True  # keep watching until the excess is gone

    def _maybe_take(self, spec: ClusterSpec, now: float, out: list[A.Action]) -> bool:
        p = self.params
        unmet = False
        for rs in spec.roles:
            demand = rs.count - self._holders(rs.name)
            if demand <= 0:
                self._demand_since.pop(rs.name, None)
                continue
            if not rs.requires.met_by(self.dna):
                continue
            unmet = True
            since = self._demand_since.setdefault(rs.name, now)
            stimulus = p.role_stimulus_rate * (now - since)
            rank = self._idle_rank(rs, now, demand + RANK_CAP)
            theta = ranked_threshold(p.theta_role, p.theta_growth, rank - demand + 1)
            if self._rng.random() < response_probability(stimulus, theta, p.response_exponent):
                self._change_role(rs.name, now, out, reason="demand")
                return False
        return unmet

    def _maybe_switch(
        self, spec: ClusterSpec, held: RoleSpec, now: float, out: list[A.Action]
    ) -> bool:
        """Switch from ``held`` to a short role that no idle node can fill, when an idle
        node can take over ``held``: the colony reaches the fill a matching would give."""
        p = self.params
        watching = False
        for rs in spec.roles:
            if rs.name == held.name or not rs.requires.met_by(self.dna):
                continue
            demand = rs.count - self._holders(rs.name)
            if demand <= 0:
                continue
            if self._idle_eligible(rs, now) > 0:
                watching = True  # idle nodes should fill it; look again if they go quiet
                continue
            if self._idle_eligible(held, now) == 0:
                watching = True  # nobody could take over my role, for now
                continue
            since = self._demand_since.setdefault(rs.name, now)
            stimulus = p.role_stimulus_rate * (now - since)
            rank = self._switch_rank(spec, rs, now)
            theta = ranked_threshold(p.theta_role, p.theta_growth, rank - demand + 1)
            if self._rng.random() < response_probability(stimulus, theta, p.response_exponent):
                self._change_role(rs.name, now, out, reason=f"switch from {held.name}")
                return False
            return True
        return watching

    def _idle_eligible(self, rs: RoleSpec, now: float) -> int:
        """Idle, fresh nodes (this one included) that meet ``rs``'s requirements."""
        n = 1 if self.role is None and rs.requires.met_by(self.dna) else 0
        for peer in self.peers.peers.values():
            if peer.role is None and not peer.stale(now) and rs.requires.met_by(peer.dna):
                n += 1
        return n

    def _switch_rank(self, spec: ClusterSpec, rs: RoleSpec, now: float) -> int:
        """Rank of this holder among holders of other roles who could switch to ``rs``."""
        mine = self._merit(rs, self.id, self.dna, self.experience(rs.name, now), False)
        replaceable: dict[str, bool] = {}
        rank = 0
        for peer in self.peers.peers.values():
            if peer.role is None or peer.role == rs.name or peer.stale(now):
                continue
            if not rs.requires.met_by(peer.dna):
                continue
            if peer.role not in replaceable:
                other = spec.role(peer.role)
                replaceable[peer.role] = other is not None and self._idle_eligible(other, now) > 0
            if not replaceable[peer.role]:
                continue
            x = peer.experience.get(rs.name, 0.0)
            if self._merit(rs, peer.id, peer.dna, x, False) > mine:
                rank += 1
        return rank

    def _idle_rank(self, rs: RoleSpec, now: float, cap: int) -> int:
        """Rank of this node among idle eligible fresh peers for ``rs`` (0: best),
        counted up to ``cap``: beyond it the response probability is negligible."""
        # peers also drop out of the count by going stale, which changes no version:
        # a cached rank is good for one role tick at most
        stamp = (self.peers.version, self.spec.digest if self.spec else "")
        cached = self._rank_cache.get(rs.name)
        if cached is not None and cached[0] == stamp and now - cached[2] < self.params.role_tick:
            return min(cached[1], cap)
        mine = self._merit(rs, self.id, self.dna, self.experience(rs.name, now), False)
        loads: dict[str, int] = {}
        if rs.spread:  # the zone loads once, not once per peer
            for pid in self.peers.holders.get(rs.name, ()):
                z = self.peers.peers[pid].dna.zone
                loads[z] = loads.get(z, 0) + 1
            if self.role == rs.name:
                loads[self.dna.zone] = loads.get(self.dna.zone, 0) + 1
        rank = 0
        requires = rs.requires
        name = rs.name
        suitability: dict[int, float] = {}  # DNA objects are shared: score each once
        for peer in self.peers.peers.values():
            if peer.role is not None or not requires.met_by(peer.dna) or peer.stale(now):
                continue
            dna = peer.dna
            score = suitability.get(id(dna))
            if score is None:
                score = suitability[id(dna)] = rs.suitability(dna)
            spread = -(loads.get(dna.zone, 0) + 1) if rs.spread else 0
            merit = (spread, experience_level(peer.experience.get(name, 0.0)), score, peer.id)
            if merit > mine:
                rank += 1
                if rank >= cap:
                    break
        self._rank_cache[rs.name] = (stamp, rank, now)
        return rank

    def _change_role(
        self, role: str | None, now: float, out: list[A.Action], reason: str, announce: bool = True
    ) -> None:
        for r in set(self._exp) | {x for x in (self.role, role) if x}:
            self._exp[r] = (self.experience(r, now), now)
        old = self.role
        self.role = role
        if old is not None:
            out.append(A.LeaveRole(old, reason))
        if role is not None:
            out.append(A.TakeRole(role))
            self._demand_since.pop(role, None)
        if announce:
            out.append(self._beat(now))
        self._rank_cache.clear()

    # ------------------------------------------------------------------ the spec

    def _adopt(self, vs: VersionedSpec, now: float, out: list[A.Action], submitted: bool) -> None:
        self.spec = vs
        self._spec_short = (vs.version, vs.digest)
        self._demand_since.clear()
        self._rank_cache.clear()
        out.append(A.AdoptSpec(vs.version, vs.digest, submitted))
        self._next_role = now
        interval = self.params.spec_interval(len(self.peers) + 1)
        self._next_spec = now + interval * (0.5 + self._rng.random())
        self._deadline = None

    def _on_spec(self, sig: Signal, now: float, out: list[A.Action]) -> None:
        if self.spec is not None:
            head = (sig.payload.get("v"), sig.payload.get("t"), sig.payload.get("o"))
            if head == (self.spec.version, self.spec.issued_at, self.spec.origin):
                self._repair_at = INF  # the same spec again: someone else repaired
                return
        vs = VersionedSpec.from_payload(sig.payload)
        mine = self.spec.key if self.spec else None
        if mine is None or vs.key > mine:
            self._adopt(vs, now, out, submitted=False)
            self._repair_at = INF
        elif vs.key == mine:
            self._repair_at = INF  # someone else repaired: suppress ours
        else:
            self._schedule_repair(now)

    def _check_stale(self, key: tuple[int, str], now: float) -> None:
        assert self.spec is not None
        if key[0] < self.spec.version or (
            key[0] == self.spec.version and key[1] != self.spec.digest
        ):
            self._schedule_repair(now)

    def _schedule_repair(self, now: float) -> None:
        if self._repair_at == INF:
            self._repair_at = now + self.params.spec_repair_window * self._rng.random()
            self._deadline = None

    def _emit_spec(self, now: float, out: list[A.Action], reschedule: bool = True) -> None:
        assert self.spec is not None
        out.append(self._emit(Kind.SPEC, now, self.spec.to_payload()))
        if reschedule:
            interval = self.params.spec_interval(len(self.peers) + 1)
            self._next_spec = now + interval * (0.5 + self._rng.random())
        self._deadline = None

    # ------------------------------------------------------------------ deadline

    def _compute_deadline(self) -> float:
        if not self._running:
            return INF
        d = self._next_beat
        peers = self.peers
        for t in (peers.next_sweep, self._next_role, self._repair_at, self._next_spec):
            if t < d:
                d = t
        state = self.state
        if state is _CANDIDATE and self._candidate_until < d:
            d = self._candidate_until
        queen = self.queen
        if queen is None:
            if state is _WORKER and self._next_select < d:
                d = self._next_select
        elif queen != self.id and self._queen_until < d:
            d = self._queen_until
        for until, _f in self._candidates.values():
            if until < d:
                d = until
        return d

    def refresh_deadline(self) -> float:
        """Recompute :attr:`next_deadline` exactly (it may have been left early)."""
        self._deadline = self._compute_deadline()
        return self._deadline
