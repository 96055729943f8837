"""Runtime pieces without a network: authentication, beacons, bus validation, config,
trace replay. (Real daemons over real sockets are in test_runtime_daemons.py.)"""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aware import wire
from aware.dna import DNA
from aware.events import SignalReceived, Start, SubmitSpec, Tick
from aware.node import Node
from aware.params import LAN
from aware.signals import Kind, Signal
from aware.spec import template
from runtime import beacon as B
from runtime import config, trace
from runtime.auth import Authenticator, read_secret
from runtime.bus import SignalBus
from runtime.errors import ConfigError

SECRET = b"0123456789abcdef-colony-secret"


def test_tags_need_the_secret_and_the_colony() -> None:
    a = Authenticator("c1", SECRET)
    body = b"hello"
    assert a.check(body, a.tag(body))
    assert not Authenticator("c1", SECRET + b"x").check(body, a.tag(body))
    assert not Authenticator("c2", SECRET).check(body, a.tag(body))
    assert not a.check(body + b"!", a.tag(body))
    open_mode = Authenticator("c1", None)
    assert open_mode.open_mode and open_mode.tag(body) == b"" and open_mode.check(body, b"")


def test_short_or_missing_secrets_are_config_errors(tmp_path: Path) -> None:
    short = tmp_path / "s"
    short.write_bytes(b"tiny")
    with pytest.raises(ConfigError) as err:
        read_secret(short)
    assert err.value.field == "secret-file"
    with pytest.raises(ConfigError):
        read_secret(tmp_path / "missing")


def test_beacon_round_trip_and_refusals() -> None:
    auth = Authenticator("lab", SECRET)
    b = B.Beacon("lab", "n1", "tcp://10.0.0.1:7701", "10.0.0.1:7780", 12.5)
    assert B.parse(B.build(b, auth), auth) == b
    with pytest.raises(B.BeaconError) as err:
        B.parse(B.build(b, Authenticator("lab", SECRET[::-1])), auth)
    assert err.value.counter == "unauthenticated"
    other = Authenticator("other", SECRET)
    with pytest.raises(B.BeaconError) as err:
        B.parse(
            B.build(B.Beacon("other", "n1", "tcp://x:1", "", 0.0), other),
            Authenticator("other2", None),
        )
    assert err.value.counter == "other_colony"


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=1200))
def test_beacon_parser_never_raises_anything_else(data: bytes) -> None:
    for auth in (Authenticator("lab", None), Authenticator("lab", SECRET)):
        with contextlib.suppress(B.BeaconError):
            B.parse(data, auth)


def _bus(secret: bytes | None = SECRET) -> SignalBus:
    return SignalBus(None, Authenticator("lab", secret), max_skew=30.0)  # type: ignore[arg-type]


def _frames(bus: SignalBus, sig: Signal, auth: Authenticator | None = None) -> list[bytes]:
    body = wire.encode(sig)
    return [bus.topic, body, (auth or bus.auth).tag(body)]


def test_bus_accepts_good_signals_and_counts_every_refusal() -> None:
    bus = _bus()
    sig = Signal("n1", Kind.PRESENCE, 1, 100.0, 0.0, 1.0, {"dna": {}})
    assert bus.accept(_frames(bus, sig), now=100.0) == sig
    assert bus.accept(_frames(bus, sig), now=100.0) is None  # the same again: a replay
    newer = Signal("n1", Kind.PRESENCE, 2, 100.0, 0.0, 1.0, {})
    assert bus.accept(_frames(bus, newer, Authenticator("lab", b"x" * 16)), 100.0) is None
    future = Signal("n2", Kind.PRESENCE, 1, 1000.0, 0.0, 1.0, {})
    assert bus.accept(_frames(bus, future), now=100.0) is None
    assert bus.accept([b"nope"], now=100.0) is None
    assert bus.accept([bus.topic, b"\x01garbage", bus.auth.tag(b"\x01garbage")], 100.0) is None
    c = bus.counters
    assert c["dropped_replayed"] == 1 and c["dropped_unauthenticated"] == 1
    assert c["dropped_future"] == 1 and c["dropped_malformed"] >= 2
    assert c["received"] == 6


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=4))
def test_bus_validation_never_raises(frames: list[bytes]) -> None:
    bus = _bus(None)
    for msg in (frames, [bus.topic, *frames[:2]]):
        got = bus.accept(msg, now=0.0)
        assert got is None or isinstance(got, Signal)
    dropped = sum(v for k, v in bus.counters.items() if k.startswith("dropped_"))
    accepted = 2 - dropped
    assert bus.counters["received"] == 2 and 0 <= accepted <= 2


def test_config_layers_and_errors(tmp_path: Path) -> None:
    f = tmp_path / "aware.yaml"
    f.write_text("colony: lab\nport: 9000\nlabels: {rack: r1}\njoin: [10.0.0.1:7701]\n")
    cfg = config.load({"port": 9100}, str(f), env={"AWARE_ZONE": "z1", "AWARE_PORT": "9050"})
    assert (cfg.colony, cfg.port, cfg.zone, dict(cfg.labels)) == ("lab", 9100, "z1", {"rack": "r1"})
    assert cfg.join == ("10.0.0.1:7701",)
    cases = [
        ({"port": 70000}, "port"),
        ({"colony": "bad name!"}, "colony"),
        ({"join": ["nohost"]}, "join"),
        ({"profile": "moon"}, "profile"),
        ({"labels": ["novalue"]}, "labels"),
        ({"bind": "not-an-ip"}, "bind"),
    ]
    for cli, field in cases:
        with pytest.raises(ConfigError) as err:
            config.load(cli, None, env={})
        assert err.value.field == field, cli
    bad = tmp_path / "bad.yaml"
    bad.write_text("colony: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        config.load({}, str(bad), env={})
    assert err.value.field == "config"
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("colour: red\n")
    with pytest.raises(ConfigError) as err:
        config.load({}, str(unknown), env={})
    assert err.value.field == "config.colour"


def test_a_trace_replays_to_the_same_actions(tmp_path: Path) -> None:
    seed = 1234
    dna = DNA(cpu=8, memory_gb=16, disk_gb=200)
    node = Node("a", dna, LAN, random.Random(seed))
    path = tmp_path / "t.jsonl"
    writer = trace.TraceWriter(path, "a", dna, LAN, seed)
    peer = Node("b", DNA(cpu=2), LAN, random.Random(5))
    events = [Start(0.0)]
    peer_acts = list(peer.on_start(0.0))
    now = 0.0
    for _ in range(40):
        now += 0.05
        for act in peer_acts:
            if hasattr(act, "signal"):
                events.append(SignalReceived(now, act.signal))
        peer_acts = list(peer.on_tick(now))
        events.append(Tick(now))
    events.append(SubmitSpec(now, template("web")))
    for ev in events:
        writer.record(ev, node.handle(ev))
    writer.close()
    header, records = trace.read(path)
    result = trace.replay(header, records)
    assert result.identical, (result.mismatch, result.expected, result.got)
    assert result.events == len(events)
    # and a tampered trace is caught
    records[3]["actions"] = [{"a": "BecomeQueen", "term": 99}]
    assert not trace.replay(header, records).identical
