"""The observer: sees every node's true state and measures the colony.

Metrics follow DESIGN.md exactly (formation, failover, false failover, dual-queen
time, role convergence, join time, message load); invariants are checked against
the simulated truth. A *queen* here is an active one: a running (not crashed, not
frozen) node in the queen state. *Live* nodes are running nodes; a frozen node is in
its component (messages wait for it) but neither rules nor counts as knowing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx

from aware import actions as A
from aware.node import State
from aware.spec import ClusterSpec

if TYPE_CHECKING:
    from sim.driver import SimNode, Simulation

INF = float("inf")


@dataclass
class Episode:
    start: float
    cause: str
    rep: list[int] = field(default_factory=list)  # nodes of the affected component
    end: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start


class Observer:
    """Truth-side bookkeeping for one simulation."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.queens: set[int] = set()  # active queens (node indices)
        self.reign: dict[int, float] = {}
        self.comp_of: dict[int, int] = {}
        self.components: list[set[int]] = []
        self.last_disruption = 0.0
        self.last_fusion = -INF
        self.formed_at: float | None = None
        self.failovers: list[Episode] = []
        self.handovers: list[Episode] = []
        self.role_episodes: list[Episode] = []
        self.joins: list[Episode] = []
        self.false_failovers: list[dict[str, Any]] = []
        self.violations: list[dict[str, Any]] = []
        self._violated: set[str] = set()
        self.dual_since: float | None = None
        self.dual_total = 0.0
        self.dual_episodes = 0
        self.timeline: list[dict[str, Any]] = []  # queen changes and faults
        self.samples: list[dict[str, Any]] = []
        self.queen_changes = 0
        self.reigns: list[dict[str, Any]] = []
        self._view_lapse: dict[int, float] = {}  # component (by its smallest node) -> since
        self._spec_keys: dict[tuple[int, float], tuple[int, float, str]] = {}
        self._best_spec_seen: tuple[int, float, str] | None = None
        self._flow_cache: dict[Any, int] = {}
        self.timeout = sim.scenario.policy.queen_timeout

    # ------------------------------------------------------------------ hooks

    def action(self, sn: SimNode, act: A.Action, now: float) -> None:
        t = type(act)
        if t is A.QueenChanged:
            self._check_queen_views(now)
        elif t is A.BecomeQueen:
            self._crowned(sn, now)
        elif t is A.Abdicate:
            if sn.idx in self.queens and sn.core.state is not State.QUEEN:
                self._dethroned(sn.idx, now, act.reason)
        elif t is A.TakeRole or t is A.LeaveRole:
            if t is A.TakeRole:
                self._check_requirements(sn, act.role, now)
            self._check_roles(now)
            self._check_joins(now)
        elif t is A.PeerJoined:
            if sn.idx in self.queens:
                self._check_joins(now)
        elif t is A.AdoptSpec:
            self._adopted(sn, now)

    def fault(self, now: float, action: str, nodes: list[int], detail: str = "") -> None:
        self.last_disruption = now
        self.timeline.append(
            {"t": now, "event": action, "nodes": [self._id(i) for i in nodes], "detail": detail}
        )

    def down(self, sn: SimNode, now: float, cause: str) -> None:
        """``sn`` crashed, froze or left; call after its status changed."""
        idx = sn.idx
        was_queen = idx in self.queens
        members = [i for i in self.comp_members_of(idx) if i != idx]
        if was_queen:
            self.queens.discard(idx)
            self._close_reign(idx, now)
        self.refresh_components(now)
        if was_queen:
            ep = Episode(now, cause, members, detail={"old_queen": sn.id})
            (self.handovers if cause == "shutdown" else self.failovers).append(ep)
        if sn.core.role is not None:
            self.role_episodes.append(Episode(now, f"{cause} of {sn.core.role} holder", members))
        if cause == "crash":
            self._check_spec_survives(now)
        self._check_queen_views(now)
        self._check_roles(now)

    def up(self, sn: SimNode, now: float, cause: str) -> None:
        """``sn`` started, restarted or resumed; call after its status changed."""
        if sn.core.state is State.QUEEN:
            self.queens.add(sn.idx)
            self.reign.setdefault(sn.idx, now)
            self._open_reign(sn.idx, now)
            self._note_queen_change(now)
        self.refresh_components(now)
        if cause in ("join", "restart"):
            self.joins.append(Episode(now, cause, [sn.idx], detail={"node": sn.id}))
        self._check_queen_views(now)
        self._check_roles(now)

    def topology_changed(self, now: float, fused: bool) -> None:
        if fused:
            self.last_fusion = now
        self.refresh_components(now)
        self._check_queen_views(now)
        self._check_roles(now)

    def spec_submitted(self, now: float, node: SimNode) -> None:
        self.role_episodes.append(Episode(now, "spec change", self.comp_members_of(node.idx)))

    # ------------------------------------------------------------------ components

    def refresh_components(self, now: float) -> None:
        self.components = [c for c in self.sim.net.components() if c]
        self.comp_of = {i: k for k, c in enumerate(self.components) for i in c}
        self._note_queen_change(now)

    def comp_members_of(self, idx: int) -> list[int]:
        k = self.comp_of.get(idx)
        return sorted(self.components[k]) if k is not None else []

    def _episode_comp(self, ep: Episode) -> set[int] | None:
        for i in ep.rep:
            k = self.comp_of.get(i)
            if k is not None and self.sim.nodes[i].running:
                return self.components[k]
        return None

    def _running(self, members: set[int] | list[int]) -> list[int]:
        nodes = self.sim.nodes
        return [i for i in members if nodes[i].running]

    # ------------------------------------------------------------------ queens

    def _crowned(self, sn: SimNode, now: float) -> None:
        idx = sn.idx
        k = self.comp_of.get(idx)
        for q in self.queens:
            if (
                q != idx
                and self.comp_of.get(q) == k
                and self.reign.get(q, now) <= now - self.timeout
                and self.last_fusion <= now - self.timeout
            ):
                self.false_failovers.append({"t": round(now, 4), "new": sn.id, "old": self._id(q)})
                break
        self.queens.add(idx)
        self.reign[idx] = now
        self._open_reign(idx, now)
        self.queen_changes += 1
        self.timeline.append(
            {"t": now, "event": "queen", "nodes": [sn.id], "detail": f"term {sn.core.term}"}
        )
        self._note_queen_change(now)
        self._check_queen_views(now)

    def _open_reign(self, idx: int, now: float) -> None:
        self.reigns.append({"idx": idx, "node": self._id(idx), "start": now, "end": None})

    def _close_reign(self, idx: int, now: float) -> None:
        for r in reversed(self.reigns):
            if r["idx"] == idx and r["end"] is None:
                r["end"] = now
                return

    def _dethroned(self, idx: int, now: float, reason: str) -> None:
        self._close_reign(idx, now)
        self.queens.discard(idx)
        self.reign.pop(idx, None)
        self.timeline.append(
            {"t": now, "event": "abdicate", "nodes": [self._id(idx)], "detail": reason}
        )
        self._note_queen_change(now)

    def _note_queen_change(self, now: float) -> None:
        per_comp: dict[int | None, int] = {}
        for q in self.queens:
            k = self.comp_of.get(q)
            per_comp[k] = per_comp.get(k, 0) + 1
        dual = any(n >= 2 for n in per_comp.values())
        if dual and self.dual_since is None:
            self.dual_since = now
            self.dual_episodes += 1
        elif not dual and self.dual_since is not None:
            self.dual_total += now - self.dual_since
            self.dual_since = None

    def _settled(self, members: set[int] | list[int]) -> str | None:
        """The one queen every running member knows, or None."""
        queens = [q for q in self.queens if q in members]
        if len(queens) != 1:
            return None
        q = queens[0]
        qid = self.sim.nodes[q].id
        nodes = self.sim.nodes
        for i in members:
            sn = nodes[i]
            if sn.running and sn.core.queen != qid:
                return None
        return qid

    def _check_queen_views(self, now: float) -> None:
        for ep in self.failovers + self.handovers:
            if ep.end is not None:
                continue
            comp = self._episode_comp(ep)
            if comp is None:
                ep.end = now  # everyone of the component is gone
                ep.detail["empty"] = True
                continue
            qid = self._settled(comp)
            if qid is not None:
                ep.end = now
                ep.detail["new_queen"] = qid
                ep.detail["component"] = len(comp)
        if self.formed_at is None:
            self._check_formation(now)

    def _check_formation(self, now: float) -> None:
        running = self._running(range(len(self.sim.nodes)))
        if not running or len(self.components) != 1:
            return
        if self._settled(self.components[0]) is None:
            return
        if self._filled(self.components[0]):
            self.formed_at = now

    # ------------------------------------------------------------------ roles

    def _comp_spec(self, members: set[int] | list[int]) -> ClusterSpec | None:
        best = None
        for i in members:
            sn = self.sim.nodes[i]
            if (
                sn.running
                and sn.core.spec is not None
                and (best is None or sn.core.spec.key > best.key)
            ):
                best = sn.core.spec
        return best.spec if best else None

    def _filled(self, members: set[int] | list[int]) -> bool:
        spec = self._comp_spec(members)
        if spec is None:
            return self.sim.scenario.spec is None
        running = self._running(members)
        have: dict[str, int] = {r.name: 0 for r in spec.roles}
        for i in running:
            role = self.sim.nodes[i].core.role
            if role is not None:
                if role not in have:
                    return False
                have[role] += 1
        if any(have[r.name] > r.count for r in spec.roles):
            return False
        return sum(have.values()) == self._max_fill(spec, running)

    def _max_fill(self, spec: ClusterSpec, running: list[int]) -> int:
        nodes = self.sim.nodes
        key = (spec.digest(), frozenset(running))
        cached = self._flow_cache.get(key)
        if cached is not None:
            return cached
        g = nx.DiGraph()
        for r in spec.roles:
            g.add_edge("src", ("r", r.name), capacity=r.count)
        for i in running:
            dna = nodes[i].core.dna
            for r in spec.roles:
                if r.requires.met_by(dna):
                    g.add_edge(("r", r.name), ("n", i), capacity=1)
            g.add_edge(("n", i), "sink", capacity=1)
        value = int(nx.maximum_flow_value(g, "src", "sink")) if "sink" in g and "src" in g else 0
        if len(self._flow_cache) > 256:
            self._flow_cache.clear()
        self._flow_cache[key] = value
        return value

    def _check_roles(self, now: float) -> None:
        for ep in self.role_episodes:
            if ep.end is not None:
                continue
            comp = self._episode_comp(ep)
            if comp is None or self._filled(comp):
                ep.end = now
        if self.formed_at is None:
            self._check_formation(now)

    def _check_requirements(self, sn: SimNode, role: str, now: float) -> None:
        spec = sn.core.spec
        rs = spec.spec.role(role) if spec else None
        if rs is None or not rs.requires.met_by(sn.core.dna):
            self._violation(
                now,
                "holder-meets-requirements",
                f"{sn.id} took {role} without meeting its requirements",
                once=False,
            )

    def _check_joins(self, now: float) -> None:
        for ep in self.joins:
            if ep.end is not None:
                continue
            idx = ep.rep[0]
            sn = self.sim.nodes[idx]
            if not sn.running:
                continue
            k = self.comp_of.get(idx)
            queens = [q for q in self.queens if self.comp_of.get(q) == k]
            if len(queens) != 1:
                continue
            qn = self.sim.nodes[queens[0]]
            if qn.idx != idx and sn.id not in qn.core.peers:
                continue
            if sn.core.role is None and self._wants_idle(sn, self.components[k]):
                continue
            ep.end = now

    def _wants_idle(self, sn: SimNode, comp: set[int]) -> bool:
        """True when an idle ``sn`` is needed: a role it could hold is short of holders."""
        spec = self._comp_spec(comp)
        if spec is None:
            return False
        running = self._running(comp)
        for r in spec.roles:
            if r.requires.met_by(sn.core.dna):
                have = sum(1 for i in running if self.sim.nodes[i].core.role == r.name)
                if have < r.count:
                    return True
        return False

    # ------------------------------------------------------------------ spec

    def _adopted(self, sn: SimNode, now: float) -> None:
        spec = sn.core.spec
        assert spec is not None
        life = (sn.idx, sn.core._inc)
        prev = self._spec_keys.get(life)
        if prev is not None and spec.key <= prev:
            self._violation(
                now,
                "spec-monotonic",
                f"{sn.id} went from v{prev[0]} to v{spec.version}",
                once=False,
            )
        self._spec_keys[life] = spec.key
        if self._best_spec_seen is None or spec.key > self._best_spec_seen:
            self._best_spec_seen = spec.key
        self._check_roles(now)

    def _check_spec_survives(self, now: float) -> None:
        if self._best_spec_seen is None:
            return
        live = [
            sn.core.spec.key
            for sn in self.sim.nodes
            if sn.alive_in_net and sn.core.spec is not None
        ]
        newest = max(live, default=None)
        if newest is None or newest < self._best_spec_seen:
            if any(sn.alive_in_net for sn in self.sim.nodes):
                self._violation(
                    now,
                    "spec-survives",
                    f"no live node holds spec v{self._best_spec_seen[0]} any more",
                )
            if newest is not None:
                self._best_spec_seen = newest

    # ------------------------------------------------------------------ invariants

    def _violation(self, now: float, name: str, detail: str, once: bool = True) -> None:
        key = f"{name}@{self.last_disruption}"
        if once and key in self._violated:
            return
        self._violated.add(key)
        self.violations.append({"t": round(now, 4), "invariant": name, "detail": detail})

    def periodic(self, now: float) -> None:
        """Sample for plots and check the steady-state invariants."""
        self.samples.append(self._sample(now))
        if now - self.last_disruption < self.sim.scenario.convergence_window:
            self._view_lapse.clear()
            return
        continue_lapse: set[int] = set()
        for comp in self.components:
            running = self._running(comp)
            if not running:
                continue
            queens = [self.sim.nodes[q].id for q in self.queens if q in comp]
            if len(queens) != 1:
                self._violation(
                    now,
                    "one-queen-per-component",
                    f"{len(queens)} queens {sorted(queens)} among {len(running)} nodes",
                )
            elif self._settled(comp) is None:
                # One node may miss three beats in a row (1e-6 per beat at 1% loss, so a
                # few times per long chaos run) and follow nobody for a beat or two; that
                # is loss, not a split colony. Only a lapse that outlives one sampling
                # interval is a violation.
                lapse = self._view_lapse.setdefault(min(comp), now)
                if now - lapse >= self.sim.scenario.sample_interval:
                    self._violation(
                        now,
                        "queen-known-to-all",
                        f"not every node of a {len(running)}-node component has known "
                        f"{queens[0]} since t={lapse:.1f}",
                    )
                continue_lapse.add(min(comp))
            if not self._filled(comp):
                # a false expiry at one node (loss) can over-fill a role for a beat or two
                # until the newcomer sheds; only a shortfall that outlives one sampling
                # interval is a violation
                key = -1 - min(comp)
                lapse = self._view_lapse.setdefault(key, now)
                if now - lapse >= self.sim.scenario.sample_interval:
                    self._violation(
                        now, "roles-filled", f"{self._fill_detail(comp)} since t={lapse:.1f}"
                    )
                continue_lapse.add(key)
        self._view_lapse = {k: t for k, t in self._view_lapse.items() if k in continue_lapse}

    def _fill_detail(self, comp: set[int]) -> str:
        spec = self._comp_spec(comp)
        running = self._running(comp)
        if spec is None:
            return "no spec held"
        have = {r.name: 0 for r in spec.roles}
        for i in running:
            role = self.sim.nodes[i].core.role
            if role is not None:
                have[role] = have.get(role, 0) + 1
        parts = [f"{r}={have.get(r, 0)}/{w}" for r, w in spec.wanted.items()]
        return f"roles {' '.join(parts)} (max fill {self._max_fill(spec, running)})"

    def _sample(self, now: float) -> dict[str, Any]:
        nodes = self.sim.nodes
        roles: dict[str, int] = {}
        for sn in nodes:
            if sn.running and sn.core.role is not None:
                roles[sn.core.role] = roles.get(sn.core.role, 0) + 1
        return {
            "t": now,
            "running": sum(1 for sn in nodes if sn.running),
            "components": len(self.components),
            "queens": sorted(nodes[q].id for q in self.queens),
            "roles": roles,
            "sent": self.sim.sent_total,
            # per node, by index: the queen pheromone it senses, the queen it follows, its role
            "levels": [round(sn.core.queen_level(now), 4) if sn.running else None for sn in nodes],
            "views": [sn.core.queen if sn.running else None for sn in nodes],
            "node_roles": [sn.core.role if sn.running else None for sn in nodes],
        }

    def finish(self, now: float) -> None:
        if self.dual_since is not None:
            self.dual_total += now - self.dual_since
            self.dual_since = None

    def _id(self, idx: int) -> str:
        return self.sim.nodes[idx].id
