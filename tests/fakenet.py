"""A tiny deterministic driver for core tests: nodes over a fake link.

Delivery is after a fixed latency; links can be cut and messages dropped by a
seeded RNG. It is deliberately independent of sim/ so the core is tested alone.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from aware import actions as A
from aware.dna import DNA
from aware.node import Node, State
from aware.params import LAN, PolicyParams
from aware.signals import Signal
from aware.spec import ClusterSpec


@dataclass
class FakeNet:
    params: PolicyParams = LAN
    latency: float = 0.001
    loss: float = 0.0
    seed: int = 0
    now: float = 0.0
    nodes: dict[str, Node] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    cut: set[frozenset[str]] = field(default_factory=set)
    log: list[tuple[float, str, A.Action]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._wake: dict[str, tuple[float, int]] = {}
        self._q: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._rng = random.Random(self.seed)

    def add(self, node_id: str, dna: DNA | None = None, at: float | None = None) -> Node:
        node = Node(node_id, dna or DNA(), self.params, random.Random(f"{self.seed}:{node_id}"))
        self.nodes[node_id] = node
        self.down.discard(node_id)
        self._wake.pop(node_id, None)
        self._call(self.now if at is None else at, node_id, lambda: node.on_start(self.now))
        return node

    def crash(self, node_id: str) -> None:
        self.down.add(node_id)
        self._wake.pop(node_id, None)

    def partition(self, a: set[str], b: set[str]) -> None:
        self.cut |= {frozenset((x, y)) for x in a for y in b}

    def heal(self) -> None:
        self.cut.clear()

    def submit(self, node_id: str, spec: ClusterSpec) -> None:
        node = self.nodes[node_id]
        self._call(self.now, node_id, lambda: node.on_submit(self.now, spec))

    def shutdown(self, node_id: str) -> None:
        node = self.nodes[node_id]
        self._call(self.now, node_id, lambda: node.on_shutdown(self.now))
        self._call(self.now, node_id, lambda: (self.down.add(node_id), [])[1])

    def _call(self, at: float, node_id: str, fn: Callable[[], list[A.Action]]) -> None:
        def run() -> None:
            if node_id in self.down:
                return
            self._carry(node_id, fn())

        heapq.heappush(self._q, (at, next(self._seq), run))

    def _carry(self, node_id: str, acts: list[A.Action]) -> None:
        for act in acts:
            self.log.append((self.now, node_id, act))
            if isinstance(act, A.Emit):
                self._broadcast(node_id, act.signal)
        node = self.nodes[node_id]
        d = max(node.next_deadline, self.now)
        current = self._wake.get(node_id)
        if d < float("inf") and (current is None or d < current[0]):
            token = next(self._seq)
            self._wake[node_id] = (d, token)

            def tick() -> list[A.Action]:
                if self._wake.get(node_id, (0, -1))[1] != token:
                    return []
                del self._wake[node_id]
                return node.on_tick(self.now)

            self._call(d, node_id, tick)

    def _broadcast(self, sender: str, sig: Signal) -> None:
        for rid, node in self.nodes.items():
            if rid == sender or frozenset((sender, rid)) in self.cut:
                continue
            if self.loss and self._rng.random() < self.loss:
                continue
            self._call(
                self.now + self.latency, rid, lambda node=node: node.on_signal(self.now, sig)
            )

    def run(self, until: float) -> None:
        while self._q and self._q[0][0] <= until:
            at, _, fn = heapq.heappop(self._q)
            self.now = at
            fn()
        self.now = until

    # --- views
    def live(self) -> list[Node]:
        return [n for nid, n in self.nodes.items() if nid not in self.down]

    def queens(self) -> list[str]:
        return sorted(n.id for n in self.live() if n.state is State.QUEEN)

    def views(self) -> set[str | None]:
        return {n.queen for n in self.live()}

    def actions(self, kind: type, node_id: str | None = None) -> list[tuple[float, str, A.Action]]:
        return [e for e in self.log if isinstance(e[2], kind) and (node_id in (None, e[1]))]
