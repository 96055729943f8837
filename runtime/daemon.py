"""The node daemon: the unchanged policy core driven by real time and real sockets.

One asyncio loop does everything: it waits for signals on the bus or for the core's
next deadline, feeds the core, and carries out the returned actions. Nothing here
decides anything — the core does (``aware.node``). Bad input from the network is
counted and dropped by the bus and discovery; it never reaches this loop as an error.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psutil
import zmq
import zmq.asyncio

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
from aware.node import Node
from aware.params import profile
from aware.signals import LIVENESS_KINDS, Signal
from aware.spec import ClusterSpec, VersionedSpec
from runtime import api as api_mod
from runtime.auth import Authenticator, read_secret
from runtime.bus import SignalBus
from runtime.config import NodeConfig, split_hostport
from runtime.discovery import Discovery, Peer
from runtime.discovery import routes as discovery_routes
from runtime.errors import ConfigError
from runtime.statedir import StateDir
from runtime.trace import TraceWriter

log = logging.getLogger("aware.daemon")
MAX_WAIT = 1.0  # never sleep longer than this: keeps shutdown and counters responsive


def detect_dna(state_dir: str, labels: dict[str, str], zone: str) -> DNA:
    """Traits of this machine: cores, memory (GB) and the state dir's disk (GB)."""
    disk = psutil.disk_usage(state_dir).total / 1e9
    mem = psutil.virtual_memory().total / 1e9
    return DNA(
        cpu=float(os.cpu_count() or 1),
        memory_gb=round(mem, 1),
        disk_gb=round(disk, 1),
        labels=labels,
        zone=zone,
    )


class Daemon:
    """One node of a real colony."""

    def __init__(self, cfg: NodeConfig, clock: Callable[[], float] = time.time) -> None:
        self.cfg = cfg
        self.clock = clock
        self.state = StateDir(cfg.state_dir)
        self.node_id = self.state.node_id(cfg.name)
        self.auth = Authenticator(cfg.colony, read_secret(cfg.secret_file or None))
        self.params = profile(cfg.profile)
        self.api_token = self._load_token()
        self._spec = load_spec(cfg.spec) if cfg.spec else None
        self.dna = detect_dna(str(self.state.path), dict(cfg.labels), cfg.zone)
        self.seed = random.SystemRandom().randrange(2**63)
        self.core = Node(self.node_id, self.dna, self.params, random.Random(self.seed))
        self.ctx = zmq.asyncio.Context()
        self.bus = SignalBus(self.ctx, self.auth, cfg.max_clock_skew)
        self.discovery: Discovery | None = None
        self.events: deque[dict[str, Any]] = deque(maxlen=1000)  # for operators' tools
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._counts: Counter[str] = Counter()
        self._trace: TraceWriter | None = None
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._api_server: Any = None
        self._last_beat: Signal | None = None
        self._queen_lost_at: float | None = None
        self.failovers: list[float] = []  # as this node saw them (for /metrics)
        self.api_port: int | None = None

    # ------------------------------------------------------------------ the core

    def feed(self, event: Event) -> Sequence[A.Action]:
        acts = self.core.handle(event)
        if self._trace is not None:
            self._trace.record(event, acts)
        for act in acts:
            self._carry(act, event.now)
        return acts

    def _carry(self, act: A.Action, now: float) -> None:
        if isinstance(act, A.Emit):
            self.bus.publish(act.signal)
            if act.signal.kind in LIVENESS_KINDS:
                self._last_beat = act.signal
            return
        name = type(act).__name__
        self._counts[name] += 1
        if isinstance(act, A.QueenChanged):
            if act.queen is None:
                self._queen_lost_at = now
            elif self._queen_lost_at is not None:
                self.failovers.append(now - self._queen_lost_at)
                self._queen_lost_at = None
        if isinstance(act, A.AdoptSpec) and self.core.spec is not None:
            self.state.save_spec(self.core.spec.to_payload())
        if isinstance(act, A.BecomeQueen):
            log.info("%s rules the colony under term %d", self.node_id, act.term)
        elif isinstance(act, A.QueenChanged):
            log.info("queen is now %s", act.queen)
        elif isinstance(act, A.TakeRole | A.LeaveRole | A.Abdicate):
            log.info("%s: %s", name, act)
        record = {"t": now, "event": name, **{k: v for k, v in vars_of(act).items()}}
        self.events.append(record)
        for listener in list(self.listeners):
            listener(record)

    def submit_spec(self, spec: ClusterSpec) -> int:
        """Accept a new desired cluster here; returns the version it was given."""
        self.feed(SubmitSpec(self.clock(), spec))
        assert self.core.spec is not None
        self._wake.set()
        return self.core.spec.version

    def request_stop(self) -> None:
        """Leave gracefully (as on SIGTERM), from inside the loop."""
        self._stop.set()

    def handover(self) -> str | None:
        """If this node rules, hand the crown to the fittest peer; returns the heir."""
        acts = self.feed(Handover(self.clock()))
        heirs = [a.successor for a in acts if isinstance(a, A.Abdicate)]
        return heirs[0] if heirs else None

    def advertised_endpoint(self) -> str:
        ep = self.bus.endpoint
        if "0.0.0.0" in ep and self.discovery is not None:
            for route in discovery_routes(self.cfg.bind, include_loopback=False):
                return ep.replace("0.0.0.0", route.local_ip)
        return ep

    def _load_token(self) -> str:
        if self.cfg.api_token_file:
            try:
                token = Path(self.cfg.api_token_file).read_text(encoding="utf-8").strip()
            except OSError as err:
                raise ConfigError("api-token-file", f"cannot read it: {err.strerror}") from None
            if len(token) < 16:
                raise ConfigError("api-token-file", "the token needs at least 16 characters")
            return token
        token, created = self.state.api_token()
        if created:
            log.warning(
                "API token for writes, shown once (kept in %s): %s",
                self.state.path / "api-token",
                token,
            )
        return token

    def _initial_spec(self, spec: ClusterSpec) -> None:
        if self.core.spec is None and self.core.alive:
            version = self.submit_spec(spec)
            log.info("submitted spec %r as version %d", spec.name, version)

    def counters(self) -> dict[str, int]:
        out = dict(self._counts)
        out.update({f"bus_{k}": v for k, v in self.bus.counters.items()})
        if self.discovery is not None:
            out.update({f"discovery_{k}": v for k, v in self.discovery.counters.items()})
        return out

    # ------------------------------------------------------------------ peers

    def _found(self, peer: Peer) -> None:
        log.info("found %s at %s", peer.node, peer.endpoint)
        self.bus.connect(peer.endpoint)

    def _lost(self, peer: Peer) -> None:
        log.info("lost sight of %s (%s)", peer.node, peer.endpoint)
        self.bus.disconnect(peer.endpoint)

    # ------------------------------------------------------------------ running

    async def run(self) -> int:
        cfg = self.cfg
        endpoint = self.bus.start(cfg.bind, cfg.port)
        if self.auth.open_mode:
            log.warning(
                "OPEN LAB MODE: no --secret-file, so anyone on this network can join "
                "or disturb colony %r. Give every node the same secret file.",
                cfg.colony,
            )
        hostport = cfg.api_hostport
        if hostport is not None:
            await self._start_api(*hostport)
        self.discovery = Discovery(
            self.auth,
            self.node_id,
            cfg.discovery_port,
            self.bus.port,
            self.api_port,
            cfg.bind,
            [split_hostport(j, "join") for j in cfg.join],
            cfg.beacon_interval,
            cfg.broadcast,
            self.clock,
            self._found,
            self._lost,
        )
        await self.discovery.start()
        for j in cfg.join:
            self.bus.connect(f"tcp://{j}")
        if cfg.trace:
            self._trace = TraceWriter(cfg.trace, self.node_id, self.dna, self.params, self.seed)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        log.info(
            "node %s of colony %s: signals on %s, api on %s, dna %s",
            self.node_id,
            cfg.colony,
            endpoint,
            f"port {self.api_port}" if self.api_port else "off",
            self.dna.summary(),
        )
        self.feed(Start(self.clock()))
        stored = self.state.load_spec()
        if stored is not None:
            try:
                self.feed(RestoreSpec(self.clock(), VersionedSpec.from_payload(stored)))
            except ValidationError as err:
                log.warning("ignoring the stored spec: %s", err)
        if self._spec is not None:
            asyncio.get_running_loop().call_later(
                self.params.discovery_window * 2, self._initial_spec, self._spec
            )
        try:
            await self._loop()
        finally:
            await self._shutdown()
        return 0

    async def _loop(self) -> None:
        assert self.bus.sub is not None and self.bus.pub is not None
        poller = zmq.asyncio.Poller()
        poller.register(self.bus.sub, zmq.POLLIN)
        poller.register(self.bus.pub, zmq.POLLIN)  # subscription notices (XPUB)
        while not self._stop.is_set():
            now = self.clock()
            wait = min(max(self.core.next_deadline - now, 0.0), MAX_WAIT)
            if wait > 0:
                await poller.poll(timeout=max(1, int(wait * 1000)))
            if self.bus.new_subscribers() and self._last_beat is not None:
                self.bus.publish(self._last_beat)  # the newcomer hears us at once
            now = self.clock()
            for sig in self.bus.drain(now):
                try:
                    self.feed(SignalReceived(now, sig))
                except RemoteProtocolError as err:
                    self._counts["dropped_invalid_content"] += 1
                    log.debug("dropped: %s", err)
            if self.core.next_deadline <= self.clock():
                self.feed(Tick(self.clock()))
            if self._trace is not None:
                self._trace.flush()

    async def _shutdown(self) -> None:
        log.info("shutting down %s", self.node_id)
        self.feed(Shutdown(self.clock()))
        await asyncio.sleep(0.05)  # let the handover and leave signals reach the wire
        if self.discovery is not None:
            self.discovery.close()
        if self._api_server is not None:
            self._api_server.should_exit = True
        self.bus.close()
        self.ctx.term()
        if self._trace is not None:
            self._trace.close()

    async def _start_api(self, host: str, port: int) -> None:
        server = api_mod.server(self, host, port)
        self._api_server = server
        task = asyncio.create_task(server.serve(), name="api")
        for _ in range(200):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if task.done() or not server.started:
            log.error("the API could not start on %s:%d", host, port)
            self._api_server = None
            return
        sock = server.servers[0].sockets[0]
        self.api_port = sock.getsockname()[1]


def vars_of(act: A.Action) -> dict[str, Any]:
    return {k: getattr(act, k) for k in getattr(act, "__slots__", ())}


def load_spec(text: str) -> ClusterSpec:
    """A template name (``web``) or a YAML/JSON file holding a spec."""
    from pathlib import Path

    import yaml

    from aware.spec import TEMPLATES, parse_spec, template

    if text in TEMPLATES:
        return template(text)
    try:
        data = yaml.safe_load(Path(text).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(
            "spec",
            f"{text!r} is neither a template nor a readable spec file ({type(err).__name__})",
        ) from None
    try:
        return parse_spec(data)
    except ValidationError as err:
        raise ConfigError(f"spec.{err.field}", err.reason) from None
