"""The signal bus: ZeroMQ PUB/SUB in a full mesh, authenticated, never blocking.

Each node binds one PUB socket and connects one SUB socket to every peer's PUB. A
message is three frames: the colony topic (SUB filters on it, so other colonies'
traffic is never delivered), the wire-encoded signal (:mod:`aware.wire`) and its tag.
Everything that arrives is checked in order — frame shape, tag, decoding, age and
replay — and what fails is counted by reason and dropped.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from typing import Any

import zmq
import zmq.asyncio

from aware import wire
from aware.errors import RemoteProtocolError
from aware.signals import Signal
from runtime.auth import Authenticator
from runtime.errors import RuntimeFailure

log = logging.getLogger(__name__)

# Socket options, each with its reason (see the runtime notes in DESIGN.md).
HEARTBEAT_IVL_MS = 500  # ZMTP pings: without them a dead peer is never noticed
HEARTBEAT_TIMEOUT_MS = 1500  # three missed pings and the connection is dropped
CONNECT_TIMEOUT_MS = 1000  # a connect to a dead host gives up quickly, then retries
RECONNECT_IVL_MS = 100  # first retry soon: restarts of a peer are common
RECONNECT_IVL_MAX_MS = 2000  # ... backing off to 2 s for peers that stay away
HWM = 10_000  # ~100 s of a 100-node colony's signals: drops mean a stuck reader
LINGER_MS = 200  # on close, give a leaving node's last signals time to go out


class SignalBus:
    """PUB/SUB sockets of one node, with validation of everything received."""

    def __init__(self, ctx: zmq.asyncio.Context, auth: Authenticator, max_skew: float) -> None:
        self.ctx = ctx
        self.auth = auth
        self.topic = b"aware/" + auth.colony.encode() + b"/"
        self.max_skew = max_skew
        self.counters: Counter[str] = Counter()
        self.endpoints: set[str] = set()
        self._stamps: dict[str, tuple[float, int]] = {}
        self.pub: zmq.asyncio.Socket | None = None
        self.sub: zmq.asyncio.Socket | None = None
        self.endpoint = ""

    def start(self, bind: str, port: int) -> str:
        """Bind PUB and open SUB; returns the bound endpoint (tcp://host:port)."""
        # XPUB: a PUB that also tells us when a new subscriber arrives, so the daemon
        # can repeat its latest beat for it (a slow joiner misses what was sent before)
        pub = self.ctx.socket(zmq.XPUB)
        pub.setsockopt(zmq.XPUB_VERBOSE, 1)
        sub = self.ctx.socket(zmq.SUB)
        for sock in (pub, sub):
            sock.setsockopt(zmq.LINGER, LINGER_MS)
            sock.setsockopt(zmq.HEARTBEAT_IVL, HEARTBEAT_IVL_MS)
            sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT_MS)
            sock.setsockopt(zmq.HEARTBEAT_TTL, HEARTBEAT_TIMEOUT_MS)
        pub.setsockopt(zmq.SNDHWM, HWM)
        sub.setsockopt(zmq.RCVHWM, HWM)
        sub.setsockopt(zmq.CONNECT_TIMEOUT, CONNECT_TIMEOUT_MS)
        sub.setsockopt(zmq.RECONNECT_IVL, RECONNECT_IVL_MS)
        sub.setsockopt(zmq.RECONNECT_IVL_MAX, RECONNECT_IVL_MAX_MS)
        sub.setsockopt(zmq.MAXMSGSIZE, wire.MAX_SIGNAL_BYTES + 4096)
        sub.setsockopt(zmq.SUBSCRIBE, self.topic)
        try:
            if port:
                pub.bind(f"tcp://{bind}:{port}")
            else:
                pub.bind_to_random_port(f"tcp://{bind}", min_port=20000, max_port=60000)
        except zmq.ZMQError as err:
            pub.close(0)
            sub.close(0)
            raise RuntimeFailure(f"cannot listen on {bind}:{port}: {err}") from None
        self.pub, self.sub = pub, sub
        # synchronous views of the same sockets, for non-blocking send and drain
        self._pub_sync = zmq.Socket.shadow(pub.underlying)
        self._sub_sync = zmq.Socket.shadow(sub.underlying)
        self.endpoint = pub.getsockopt(zmq.LAST_ENDPOINT).decode()
        return self.endpoint

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    def connect(self, endpoint: str) -> None:
        if endpoint in self.endpoints or self.sub is None:
            return
        try:
            self.sub.connect(endpoint)
        except zmq.ZMQError as err:
            self.counters["bad_endpoint"] += 1
            log.warning("cannot connect to %s: %s", endpoint, err)
            return
        self.endpoints.add(endpoint)
        log.info("subscribed to %s", endpoint)

    def disconnect(self, endpoint: str) -> None:
        if endpoint not in self.endpoints or self.sub is None:
            return
        self.endpoints.discard(endpoint)
        with contextlib.suppress(zmq.ZMQError):  # already gone: nothing to undo
            self.sub.disconnect(endpoint)
        log.info("unsubscribed from %s", endpoint)

    def publish(self, sig: Signal) -> int:
        """Send ``sig`` to every subscriber; never blocks (PUB drops at the HWM)."""
        assert self.pub is not None
        body = wire.encode(sig)
        try:
            self._pub_sync.send_multipart(
                [self.topic, body, self.auth.tag(body)], flags=zmq.NOBLOCK
            )
        except zmq.Again:
            self.counters["send_dropped"] += 1
            return 0
        self.counters["sent"] += 1
        self.counters["bytes_out"] += len(body)
        return len(body)

    def accept(self, frames: list[bytes], now: float) -> Signal | None:
        """Validate one received message; returns the signal or None (counted)."""
        self.counters["received"] += 1
        if len(frames) != 3 or frames[0] != self.topic:
            self.counters["dropped_malformed"] += 1
            return None
        body, tag = frames[1], frames[2]
        self.counters["bytes_in"] += len(body)
        if not self.auth.check(body, tag):
            self.counters["dropped_unauthenticated"] += 1
            return None
        try:
            sig = wire.decode(body)
        except RemoteProtocolError as err:
            self.counters[f"dropped_{err.counter}"] += 1
            return None
        if sig.emitted > now + self.max_skew:
            self.counters["dropped_future"] += 1
            return None
        last = self._stamps.get(sig.sender)
        stamp = (sig.incarnation, sig.seq)
        if last is not None and stamp <= last:
            self.counters["dropped_replayed"] += 1
            return None
        self._stamps[sig.sender] = stamp
        return sig

    def drain(self, now: float) -> list[Signal]:
        """Every message waiting on SUB, validated (non-blocking)."""
        assert self.sub is not None
        out: list[Signal] = []
        while True:
            try:
                frames = self._sub_sync.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return out
            except zmq.ZMQError as err:  # e.g. a message over MAXMSGSIZE: the peer is cut
                self.counters["recv_error"] += 1
                log.debug("receive error: %s", err)
                return out
            sig = self.accept(frames, now)
            if sig is not None:
                out.append(sig)

    def new_subscribers(self) -> int:
        """How many peers subscribed since the last call (non-blocking)."""
        n = 0
        while True:
            try:
                msg = self._pub_sync.recv(flags=zmq.NOBLOCK)
            except zmq.Again:
                return n
            except zmq.ZMQError:
                return n
            if msg[:1] == b"\x01" and msg[1:] == self.topic:
                n += 1
                self.counters["subscribers_joined"] += 1

    def close(self) -> None:
        for sock in (self.pub, self.sub):
            if sock is not None:
                sock.close()
        self.pub = self.sub = None

    def stats(self) -> dict[str, Any]:
        return dict(self.counters)
