"""The simulated network: latency, loss, partitions and a topology.

Every node owns a PUB-like broadcast: one emission reaches every node it can reach.
Two nodes can reach each other when they are in the same partition group and
connected in the topology graph (networkx; a full mesh by default); latency grows with
the hop count. Per-copy latency is uniform in ``mean ± jitter``, each copy is lost
with the current loss rate, and arrival times are rounded up to ``resolution`` so
copies that land together are delivered in one simulator event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx
import numpy as np

from sim.scenario import NetworkConfig


def build_topology(spec: Mapping[str, Any], n: int, seed: int) -> nx.Graph | None:
    """A graph over node indices 0..n-1, or None for a full mesh."""
    kind = spec.get("kind", "complete")
    if kind == "complete":
        return None
    if kind == "random_regular":
        degree = int(spec.get("degree", 4))
        if (degree * n) % 2:
            degree += 1
        return nx.random_regular_graph(min(degree, n - 1), n, seed=seed)
    if kind == "watts_strogatz":
        if n < 4:
            return None  # too few nodes for a ring with shortcuts: a full mesh
        k = max(2, min(int(spec.get("k", 4)), n - 1))  # no more neighbours than nodes
        return nx.connected_watts_strogatz_graph(n, k, float(spec.get("p", 0.1)), seed=seed)
    if kind == "grid":
        side = max(1, int(np.ceil(np.sqrt(n))))
        g = nx.grid_2d_graph(side, side)
        g = nx.convert_node_labels_to_integers(g)
        return g.subgraph(range(n)).copy()
    if kind == "star":
        return nx.star_graph(n - 1)
    raise ValueError(f"unknown topology {kind!r}")


class SimNetwork:
    """Who reaches whom, how fast and with what loss."""

    def __init__(self, cfg: NetworkConfig, seed: int) -> None:
        self.cfg = cfg
        self.loss = cfg.loss
        self.rng = np.random.default_rng(seed)
        self.group: list[int] = []  # partition group per node index
        self.alive: list[bool] = []  # can send and receive (up or frozen)
        self._base_graph: nx.Graph | None = None
        self._reach: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # idx -> (peers, hops)
        self.version = 0

    def set_topology(self, graph: nx.Graph | None) -> None:
        self._base_graph = graph
        self.invalidate()

    def add_node(self) -> int:
        self.group.append(0)
        self.alive.append(True)
        if self._base_graph is not None:
            idx = len(self.group) - 1
            if idx not in self._base_graph:
                # a joining node attaches to two random existing nodes
                others = [i for i in range(idx)]
                picks = self.rng.choice(others, size=min(2, len(others)), replace=False)
                self._base_graph.add_node(idx)
                for j in picks:
                    self._base_graph.add_edge(idx, int(j))
        self.invalidate()
        return len(self.group) - 1

    def invalidate(self) -> None:
        self._reach.clear()
        self.version += 1

    def set_alive(self, idx: int, alive: bool) -> None:
        if self.alive[idx] != alive:
            self.alive[idx] = alive
            self.invalidate()

    def partition(self, groups: list[list[int]]) -> None:
        for g, members in enumerate(groups):
            for idx in members:
                self.group[idx] = g
        self.invalidate()

    def heal(self) -> None:
        self.group = [0] * len(self.group)
        self.invalidate()

    def reach(self, idx: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices reachable from ``idx`` (excluding itself) and their hop counts."""
        cached = self._reach.get(idx)
        if cached is not None:
            return cached
        g = self.group[idx]
        if self._base_graph is None:
            peers = np.array(
                [
                    j
                    for j, (gj, a) in enumerate(zip(self.group, self.alive, strict=True))
                    if a and gj == g and j != idx
                ],
                dtype=np.int64,
            )
            hops = np.ones(len(peers))
        else:
            sub = self._live_graph()
            lengths = nx.single_source_shortest_path_length(sub, idx) if idx in sub else {}
            pairs = sorted((j, h) for j, h in lengths.items() if j != idx)
            peers = np.array([j for j, _ in pairs], dtype=np.int64)
            hops = np.array([h for _, h in pairs], dtype=float)
        self._reach[idx] = (peers, hops)
        return peers, hops

    def _live_graph(self) -> nx.Graph:
        assert self._base_graph is not None
        keep = [i for i in self._base_graph if i < len(self.alive) and self.alive[i]]
        sub = self._base_graph.subgraph(keep)
        return (
            nx.Graph((u, v) for u, v in sub.edges() if self.group[u] == self.group[v])
            if sub.number_of_edges()
            else nx.Graph()
        )

    def components(self) -> list[set[int]]:
        """Connected components of the live nodes under the current partition."""
        live = [i for i, a in enumerate(self.alive) if a]
        if self._base_graph is None:
            by_group: dict[int, set[int]] = {}
            for i in live:
                by_group.setdefault(self.group[i], set()).add(i)
            return list(by_group.values())
        g = self._live_graph()
        g.add_nodes_from(live)
        return [set(c) for c in nx.connected_components(g)]

    def sample(self, n: int, hops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(latency per copy, delivered mask) for ``n`` copies."""
        cfg = self.cfg
        u = self.rng.random(2 * n)
        lat = (cfg.latency_mean + cfg.latency_jitter * (2.0 * u[:n] - 1.0)) * hops
        ok = u[n:] >= self.loss if self.loss > 0.0 else np.ones(n, dtype=bool)
        return lat, ok
