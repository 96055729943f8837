"""Zero-configuration discovery: authenticated UDP beacons to every directed broadcast
address (and 127.255.255.255 on loopback), plus unicast to ``--join`` hosts.

Several daemons share one host: the socket binds 0.0.0.0 with SO_REUSEPORT, and Linux
delivers each broadcast datagram to every socket bound to the port. A peer that falls
silent for ``expiry_beacons`` intervals is forgotten (its ZeroMQ connection is dropped).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

from runtime import beacon as B
from runtime.auth import Authenticator

log = logging.getLogger(__name__)
EXPIRY_BEACONS = 5.0


@dataclass
class Route:
    """Where a beacon goes and which of our addresses it advertises."""

    target: str  # broadcast or unicast IPv4 address
    local_ip: str  # our address on that network (the advertised endpoint's host)


def routes(bind: str, include_loopback: bool = True) -> list[Route]:
    """One route per IPv4 interface address with a broadcast address, plus loopback."""
    out: list[Route] = []
    for _name, addrs in psutil.net_if_addrs().items():
        for a in addrs:
            if a.family != socket.AF_INET:
                continue
            ip = ipaddress.ip_address(a.address)
            if bind not in ("0.0.0.0", a.address):
                continue
            if ip.is_loopback:
                if include_loopback:
                    out.append(Route("127.255.255.255", a.address))
                continue
            bcast = a.broadcast
            if not bcast and a.netmask:
                net = ipaddress.ip_network(f"{a.address}/{a.netmask}", strict=False)
                bcast = str(net.broadcast_address)
            if bcast:
                out.append(Route(bcast, a.address))
    return out


@dataclass
class Peer:
    node: str
    endpoint: str
    api: str
    addr: str
    last_seen: float
    seen: dict[str, float] = field(default_factory=dict)  # every endpoint heard -> when


class Discovery(asyncio.DatagramProtocol):
    """Sends beacons, hears others', and reports peers found and lost."""

    def __init__(
        self,
        auth: Authenticator,
        node_id: str,
        port: int,
        signal_port: int,
        api_port: int | None,
        bind: str,
        joins: list[tuple[str, int]],
        interval: float,
        broadcast: bool,
        clock: Callable[[], float],
        on_found: Callable[[Peer], None],
        on_lost: Callable[[Peer], None],
    ) -> None:
        self.auth = auth
        self.node_id = node_id
        self.port = port
        self.signal_port = signal_port
        self.api_port = api_port
        self.bind = bind
        self.joins = joins
        self.interval = interval
        self.broadcast = broadcast
        self.clock = clock
        self.on_found = on_found
        self.on_lost = on_lost
        self.peers: dict[str, Peer] = {}
        self.counters: Counter[str] = Counter()
        self.transport: asyncio.DatagramTransport | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.bind(("0.0.0.0", self.port))
        sock.setblocking(False)
        self.transport, _ = await loop.create_datagram_endpoint(lambda: self, sock=sock)
        self._task = asyncio.create_task(self._beacon_loop(), name="beacons")

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.transport is not None:
            self.transport.close()

    # ------------------------------------------------------------------ sending

    def _send_all(self) -> None:
        assert self.transport is not None
        now = self.clock()
        targets: list[Route] = routes(self.bind) if self.broadcast else []
        if self.joins:
            local = self.bind if self.bind != "0.0.0.0" else ""
            for host, _port in self.joins:
                targets.append(Route(host, local or _local_ip_towards(host)))
        for route in targets:
            api = f"{route.local_ip}:{self.api_port}" if self.api_port else ""
            msg = B.build(
                B.Beacon(
                    self.auth.colony,
                    self.node_id,
                    f"tcp://{route.local_ip}:{self.signal_port}",
                    api,
                    now,
                ),
                self.auth,
            )
            try:
                self.transport.sendto(msg, (route.target, self.port))
                self.counters["beacons_sent"] += 1
            except OSError as err:  # an interface went away between listing and sending
                self.counters["beacon_send_errors"] += 1
                log.debug("beacon to %s failed: %s", route.target, err)

    async def _beacon_loop(self) -> None:
        fast = 5  # the first beacons go out quickly so a new node is found at once
        while True:
            self._send_all()
            self._expire()
            await asyncio.sleep(self.interval / 5 if fast > 0 else self.interval)
            fast -= 1

    def _expire(self) -> None:
        now = self.clock()
        for node, peer in list(self.peers.items()):
            if now - peer.last_seen > EXPIRY_BEACONS * self.interval:
                del self.peers[node]
                self.counters["peers_expired"] += 1
                self.on_lost(peer)

    # ------------------------------------------------------------------ receiving

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # type: ignore[override]
        try:
            b = B.parse(data, self.auth)
        except B.BeaconError as err:
            self.counters[f"beacons_dropped_{err.counter}"] += 1
            return
        if b.node == self.node_id:
            return
        self.counters["beacons_received"] += 1
        now = self.clock()
        known = self.peers.get(b.node)
        if known is not None:
            known.seen[b.endpoint] = now
            if known.endpoint == b.endpoint:
                known.last_seen = now
                return
            # another address of the same node (several networks reach it): keep the one
            # in use while it is heard; switch only when it falls silent (e.g. a restart
            # on another port)
            if now - known.seen.get(known.endpoint, 0.0) <= 2 * self.interval:
                known.last_seen = now
                return
            self.on_lost(known)
        peer = Peer(b.node, b.endpoint, b.api, addr[0], now, {b.endpoint: now})
        self.peers[b.node] = peer
        self.on_found(peer)

    def error_received(self, exc: Exception) -> None:
        self.counters["socket_errors"] += 1
        log.debug("discovery socket error: %s", exc)


def _local_ip_towards(host: str) -> str:
    """Our source address for packets to ``host`` (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((host, 9))
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"
