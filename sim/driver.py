"""The SimPy driver: many unchanged policy cores over a simulated network.

The driver is thin: it feeds each :class:`aware.node.Node` its events (start, signal
received, tick at its deadline, spec submitted, shutdown) and carries out the actions
it returns (emissions become broadcasts over :class:`sim.network.SimNetwork`; every
other action goes to the :class:`sim.observer.Observer`). Faults from the scenario
are applied at their times. Everything random derives from the scenario seed.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import simpy

from aware import actions as A
from aware.dna import DNA
from aware.errors import RemoteProtocolError
from aware.node import QUIET, Node
from aware.signals import Signal
from aware.spec import ClusterSpec
from aware.wire import encode
from sim.chaos import chaos_faults
from sim.network import SimNetwork, build_topology
from sim.observer import Observer
from sim.scenario import Fault, Scenario, Target

log = logging.getLogger(__name__)
INF = float("inf")
UP, FROZEN, DOWN = "up", "frozen", "down"


@dataclass(slots=True)
class SimNode:
    """A simulated host: a policy core plus what the simulator knows about it."""

    idx: int
    id: str
    dna: DNA
    core: Node
    status: str = DOWN
    pending: list[Signal] = field(default_factory=list)
    wake_at: float = INF
    gen: int = 0
    lives: int = 0

    @property
    def running(self) -> bool:
        return self.status == UP

    @property
    def alive_in_net(self) -> bool:
        return self.status != DOWN


class Simulation:
    """One run of one scenario."""

    def __init__(self, scenario: Scenario, progress: Callable[[float], None] | None = None) -> None:
        self.scenario = scenario
        self.env = simpy.Environment()
        self.rng = random.Random(f"aware-sim:{scenario.seed}")
        self.net = SimNetwork(scenario.network, seed=scenario.seed)
        self.nodes: list[SimNode] = []
        self._handlers: list[Callable[[float, Signal], Sequence[A.Action]]] = []
        self.by_id: dict[str, SimNode] = {}
        self.sent_total = 0
        self.recv_total = 0
        self.bytes_total = 0
        self.lost_total = 0
        self.dropped = 0
        self.node_seconds = 0.0
        self._progress = progress
        self._base_loss = scenario.network.loss
        self._loss_until = -INF
        self.obs = Observer(self)
        self.skipped: list[dict[str, Any]] = []
        self.wall_s = 0.0

    # ------------------------------------------------------------------ nodes

    def _new_dna(self, idx: int) -> DNA:
        cfg = self.scenario.nodes
        traits: dict[str, Any] = {}
        for trait, values in cfg.dna.items():
            choices = values if isinstance(values, list) else [values]
            traits[trait] = self.rng.choice(choices)
        zone = cfg.zones[idx % len(cfg.zones)] if cfg.zones else ""
        return DNA(labels=dict(cfg.labels), zone=zone, **traits)

    def add_node(self, start_at: float, cause: str = "start") -> SimNode:
        idx = len(self.nodes)
        node_id = f"n{idx:03d}"
        dna = self._new_dna(idx)
        sn = SimNode(idx, node_id, dna, self._core(node_id, dna, 0))
        self.nodes.append(sn)
        self._handlers.append(sn.core.on_signal)
        self.by_id[node_id] = sn
        self.net.add_node()
        self.net.set_alive(idx, False)
        self._at(start_at, self._start, sn, cause)
        return sn

    def _core(self, node_id: str, dna: DNA, life: int) -> Node:
        rng = random.Random(f"{self.scenario.seed}:{node_id}:{life}")
        return Node(node_id, dna, self.scenario.policy, rng)

    def _start(self, sn: SimNode, cause: str) -> None:
        now = self.env.now
        if sn.lives:
            sn.core = self._core(sn.id, sn.dna, sn.lives)
            self._handlers[sn.idx] = sn.core.on_signal
        sn.lives += 1
        sn.status = UP
        sn.wake_at = INF
        sn.gen += 1
        sn.pending.clear()
        self.net.set_alive(sn.idx, True)
        self._feed(sn, sn.core.on_start(now), now)
        self.obs.up(sn, now, cause)

    # ------------------------------------------------------------------ the hot path

    def _at(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        ev = self.env.timeout(max(delay, 0.0))
        ev.callbacks.append(lambda _ev: fn(*args))

    def _feed(self, sn: SimNode, acts: Sequence[A.Action], now: float) -> None:
        """Carry out ``acts`` of ``sn`` and make sure it wakes at its deadline."""
        for act in acts:
            if type(act) is A.Emit:
                self._broadcast(sn, act.signal, now)
            else:
                self.obs.action(sn, act, now)
        d = sn.core.next_deadline
        if d < sn.wake_at:
            self._schedule_wake(sn, d, now)

    def _schedule_wake(self, sn: SimNode, d: float, now: float) -> None:
        if d == INF:
            return
        sn.wake_at = d
        sn.gen += 1
        ev = self.env.timeout(max(d - now, 0.0))
        ev.callbacks.append(partial(self._wake, sn, sn.gen))

    def _wake(self, sn: SimNode, gen: int, _ev: object) -> None:
        if gen != sn.gen or sn.status != UP:
            return
        now = self.env.now
        sn.wake_at = INF
        d = sn.core.next_deadline
        if d <= now:
            d = sn.core.refresh_deadline()  # often a deadline left early: nothing is due
        if d <= now:
            self._feed(sn, sn.core.on_tick(now), now)
            d = sn.core.next_deadline
            if d <= now:  # a core that asks for the same instant again would spin
                log.warning("node %s asked to wake at %.6f again", sn.id, now)
                d = math.nextafter(now, INF)
        if d < sn.wake_at:
            self._schedule_wake(sn, d, now)

    def _broadcast(self, sn: SimNode, sig: Signal, now: float) -> None:
        size = len(encode(sig))
        peers, hops = self.net.reach(sn.idx)
        n = len(peers)
        self.sent_total += 1
        self.bytes_total += size * n
        if n == 0:
            return
        lat, ok = self.net.sample(n, hops)
        res = self.scenario.network.resolution
        slots = np.ceil((now + lat[ok]) / res).astype(np.int64)
        targets = peers[ok]
        delivered = len(targets)
        self.lost_total += n - delivered
        if delivered == 0:
            return
        # group the copies by arrival slot: one simulator event per slot
        order = np.argsort(slots, kind="stable")
        slots = slots[order]
        targets = targets[order]
        cuts = np.flatnonzero(slots[1:] != slots[:-1]) + 1
        starts = [0, *cuts.tolist()]
        ends = [*starts[1:], delivered]
        slot_list = slots[starts].tolist()
        target_list = targets.tolist()
        env = self.env
        deliver = self._deliver
        for slot, a, b in zip(slot_list, starts, ends, strict=True):
            ev = env.timeout(max(slot * res - now, 0.0))
            ev.callbacks.append(partial(deliver, target_list[a:b], sig))

    def _deliver(self, members: list[int], sig: Signal, _ev: object) -> None:
        now = self.env.now
        nodes = self.nodes
        handlers = self._handlers
        received = 0
        for j in members:
            sn = nodes[j]
            status = sn.status
            if status is UP:
                received += 1
                try:
                    acts = handlers[j](now, sig)
                except RemoteProtocolError:
                    self.dropped += 1
                    continue
                if acts is QUIET:
                    continue  # nothing but timestamps changed: no deadline came closer
                if acts:
                    self._feed(sn, acts, now)
                else:
                    d = sn.core.next_deadline
                    if d < sn.wake_at:
                        self._schedule_wake(sn, d, now)
            elif status is FROZEN:
                sn.pending.append(sig)
        self.recv_total += received

    # ------------------------------------------------------------------ faults

    def _apply(self, fault: Fault) -> None:
        now = self.env.now
        handler = getattr(self, f"_fault_{fault.action}")
        handler(fault, now)

    def _targets(self, target: Target | None, pool: list[SimNode]) -> list[SimNode]:
        if target is None:
            return []
        if target.kind == "all":
            return pool
        if target.kind == "node":
            return [sn for sn in pool if sn.id == target.node]
        if target.kind == "queen":
            queen = self.current_queen()
            return [sn for sn in pool if queen is not None and sn is queen]
        k = target.count if target.kind == "random" else round(target.fraction * len(pool))
        return self.rng.sample(pool, min(k, len(pool)))

    def current_queen(self) -> SimNode | None:
        """The active queen of the largest component (the one a user would see)."""
        best: SimNode | None = None
        best_size = -1
        for q in sorted(self.obs.queens):
            k = self.obs.comp_of.get(q)
            size = len(self.obs.components[k]) if k is not None else 0
            if size > best_size:
                best, best_size = self.nodes[q], size
        return best

    def _pool(self, status: str) -> list[SimNode]:
        return [sn for sn in self.nodes if sn.status == status]

    def _skip(self, fault: Fault, now: float, why: str) -> None:
        self.skipped.append({"t": now, "action": fault.action, "why": why})
        self.obs.fault(now, f"{fault.action} (skipped)", [], why)

    def _fault_crash(self, fault: Fault, now: float) -> None:
        victims = self._targets(fault.target, self._pool(UP) + self._pool(FROZEN))
        if not victims:
            return self._skip(fault, now, "no target")
        self.obs.fault(
            now, "crash", [v.idx for v in victims], fault.target.describe() if fault.target else ""
        )
        for sn in victims:
            was = sn.status
            sn.status = DOWN
            sn.gen += 1
            sn.wake_at = INF
            sn.pending.clear()
            self.net.set_alive(sn.idx, False)
            if was == UP:
                self.obs.down(sn, now, "crash")
            else:
                self.obs.refresh_components(now)

    def _fault_shutdown(self, fault: Fault, now: float) -> None:
        victims = self._targets(fault.target, self._pool(UP))
        if not victims:
            return self._skip(fault, now, "no target")
        self.obs.fault(now, "shutdown", [v.idx for v in victims])
        for sn in victims:
            acts = sn.core.on_shutdown(now)
            for act in acts:
                if type(act) is A.Emit:
                    self._broadcast(sn, act.signal, now)
            sn.status = DOWN
            sn.gen += 1
            sn.wake_at = INF
            self.net.set_alive(sn.idx, False)
            self.obs.down(sn, now, "shutdown")

    def _fault_freeze(self, fault: Fault, now: float) -> None:
        victims = self._targets(fault.target, self._pool(UP))
        if not victims:
            return self._skip(fault, now, "no target")
        self.obs.fault(now, "freeze", [v.idx for v in victims])
        for sn in victims:
            sn.status = FROZEN
            sn.gen += 1
            sn.wake_at = INF
            self.obs.down(sn, now, "freeze")

    def _fault_resume(self, fault: Fault, now: float) -> None:
        victims = self._targets(fault.target, self._pool(FROZEN))
        if not victims:
            return self._skip(fault, now, "nothing frozen")
        self.obs.fault(now, "resume", [v.idx for v in victims])
        for sn in victims:
            sn.status = UP
            self.obs.up(sn, now, "resume")
            pending, sn.pending = sn.pending, []
            for sig in pending:  # a stopped process reads its socket backlog first
                try:
                    self._feed(sn, sn.core.on_signal(now, sig), now)
                except RemoteProtocolError:
                    self.dropped += 1
            self._feed(sn, sn.core.on_tick(now), now)

    def _fault_restart(self, fault: Fault, now: float) -> None:
        victims = self._targets(fault.target, self._pool(DOWN))
        victims = [sn for sn in victims if sn.lives > 0]
        if not victims:
            return self._skip(fault, now, "nothing crashed")
        self.obs.fault(now, "restart", [v.idx for v in victims])
        for sn in victims:
            self._start(sn, "restart")

    def _fault_join(self, fault: Fault, now: float) -> None:
        new = [self.add_node(0.0, "join") for _ in range(fault.count)]
        self.obs.fault(now, "join", [], f"{len(new)} nodes from {new[0].id}")

    def _fault_partition(self, fault: Fault, now: float) -> None:
        live = [sn.idx for sn in self.nodes if sn.alive_in_net]
        groups: list[list[int]] = []
        if fault.groups and isinstance(fault.groups[0], float):
            order = live[:]
            self.rng.shuffle(order)
            start = 0
            for i, frac in enumerate(fault.groups):
                end = len(order) if i == len(fault.groups) - 1 else start + round(frac * len(order))
                groups.append(order[start:end])
                start = end
        else:
            listed: set[int] = set()
            for g in fault.groups:
                idxs = [self.by_id[n].idx for n in g if n in self.by_id]
                listed.update(idxs)
                groups.append(idxs)
            groups[-1].extend(i for i in live if i not in listed)
        self.net.partition(groups)
        self.obs.fault(now, "partition", [], "/".join(str(len(g)) for g in groups))
        self.obs.topology_changed(now, fused=False)

    def _fault_heal(self, fault: Fault, now: float) -> None:
        self.net.heal()
        self.obs.fault(now, "heal", [])
        self.obs.topology_changed(now, fused=True)

    def _fault_loss(self, fault: Fault, now: float) -> None:
        self.net.loss = fault.rate
        self._loss_until = now + fault.duration
        self.obs.fault(now, "loss", [], f"{fault.rate:.0%} for {fault.duration:g}s")
        self._at(fault.duration, self._end_loss, now + fault.duration)

    def _end_loss(self, until: float) -> None:
        if until >= self._loss_until:
            self.net.loss = self._base_loss

    def _fault_spec(self, fault: Fault, now: float) -> None:
        assert fault.spec is not None
        targets = self._targets(fault.target, self._pool(UP))
        if not targets:
            up = self._pool(UP)
            targets = [self.rng.choice(up)] if up else []
        if not targets:
            return self._skip(fault, now, "no running node")
        self.submit(targets[0], fault.spec)

    def submit(self, sn: SimNode, spec: ClusterSpec) -> None:
        now = self.env.now
        self.obs.fault(now, "spec", [sn.idx], spec.name)
        self.obs.spec_submitted(now, sn)
        self._feed(sn, sn.core.on_submit(now, spec), now)

    # ------------------------------------------------------------------ running

    def _sampler(self) -> Any:
        interval = self.scenario.sample_interval
        while True:
            yield self.env.timeout(interval)
            self.obs.periodic(self.env.now)
            up = sum(1 for sn in self.nodes if sn.status == UP)
            self.node_seconds += up * interval
            if self._progress is not None:
                self._progress(self.env.now)

    def setup(self) -> None:
        sc = self.scenario
        self.net.set_topology(build_topology(sc.network.topology, sc.nodes.count, sc.seed))
        for i in range(sc.nodes.count):
            spread = sc.nodes.start_spread
            self.add_node(self.rng.uniform(0.0, spread) if spread and i else 0.0)
        if sc.spec is not None:
            first = self.nodes[0]
            self._at(0.0, self._initial_spec, first, sc.spec)
        for fault in (*sc.faults, *chaos_faults(sc)):
            self._at(fault.at, self._apply, fault)
        self.env.process(self._sampler())

    def _initial_spec(self, sn: SimNode, spec: ClusterSpec) -> None:
        if sn.status == UP:
            self.obs.spec_submitted(self.env.now, sn)
            self._feed(sn, sn.core.on_submit(self.env.now, spec), self.env.now)

    def run(self) -> dict[str, Any]:
        """Run to the scenario's duration and return the summary (see sim.metrics)."""
        from sim.metrics import summarize

        t0 = time.perf_counter()
        self.setup()
        self.env.run(until=self.scenario.duration)
        self.wall_s = time.perf_counter() - t0
        self.obs.finish(self.scenario.duration)
        return summarize(self)
