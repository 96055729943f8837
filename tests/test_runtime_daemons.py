"""Real daemons over real ZeroMQ sockets and UDP beacons, on loopback.

(The same scenarios across network namespaces, with partitions, live in
test_runtime_netns.py and need root.)"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemons import Colony, free_port

from runtime import trace


@pytest.fixture
def colony(tmp_path: Path) -> Iterator[Colony]:
    c = Colony(tmp_path)
    try:
        yield c
    finally:
        c.stop()


def test_three_nodes_form_and_fill_a_spec_then_survive_a_queen_kill(colony: Colony) -> None:
    spec = colony.tmp / "spec.yaml"
    spec.write_text("name: small\nroles: {web: {count: 1}, db: {count: 1}}\n")
    for name in ("a", "b", "c"):
        colony.start(name, "--spec", str(spec), "--trace", str(colony.tmp / f"{name}.trace"))
    colony.wait(lambda: colony.one_queen() is not None, timeout=15)

    def filled() -> bool:
        views = colony.views()
        return all(
            v and v["spec"] and all(r["have"] == r["want"] for r in v["spec"]["roles"])
            for v in views.values()
        )

    colony.wait(filled, timeout=15)
    queen = colony.one_queen()
    assert queen is not None
    colony.daemons[queen].signal(signal.SIGKILL)
    rest = [n for n in colony.daemons if n != queen]
    took = colony.wait(lambda: colony.one_queen(rest) not in (None, queen), timeout=10)
    assert took < 5.0
    colony.wait(filled, timeout=10)  # the dead queen's role, if any, is taken over
    # every survivor's recorded trace replays to the same actions
    colony.stop()
    for name in rest:
        header, records = trace.read(colony.tmp / f"{name}.trace")
        result = trace.replay(header, records)
        assert result.identical, (name, result.mismatch)
        assert result.events > 10


def test_a_node_without_the_secret_cannot_join(colony: Colony) -> None:
    colony.start("a")
    colony.start("b")
    colony.wait(lambda: colony.one_queen() is not None, timeout=15)
    wrong = colony.tmp / "wrong"
    wrong.write_bytes(b"not-the-colony-secret-at-all")
    colony.start("intruder", secret=wrong)
    colony.wait(
        lambda: (v := colony.daemons["intruder"].colony()) is not None and v["queen"] == "intruder",
        timeout=15,
    )  # alone, it rules only itself
    views = colony.views(["a", "b"])
    for v in views.values():
        assert v is not None
        assert "intruder" not in {n["id"] for n in v["nodes"]}
        assert v["queen"] != "intruder"
    dropped = sum(
        val
        for v in views.values()
        if v
        for key, val in v["counters"].items()
        if "unauthenticated" in key
    )
    assert dropped > 0  # its beacons were heard, and refused


def test_garbage_on_every_port_changes_nothing(colony: Colony) -> None:
    a = colony.start("a")
    colony.start("b")
    colony.wait(lambda: colony.one_queen() is not None, timeout=15)
    queen = colony.one_queen()
    view = a.colony()
    assert view is not None
    signal_port = int(next(n["addr"] for n in view["nodes"] if n.get("self")).rsplit(":", 1)[1])
    rnd = os.urandom
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(300):
            s.sendto(rnd(i % 700), ("127.0.0.1", colony.discovery))
            s.sendto(b"\x01\x10" + rnd(16) + rnd(i % 50), ("127.0.0.1", colony.discovery))
    for i in range(20):
        try:
            with socket.create_connection(("127.0.0.1", signal_port), timeout=1) as t:
                t.sendall(rnd(64 * (i + 1)))
        except OSError:
            pass
    try:
        with socket.create_connection(("127.0.0.1", a.api), timeout=1) as t:
            t.sendall(b"GARBAGE / HTTP/9\r\n\r\n" + rnd(200))
    except OSError:
        pass
    colony.wait(lambda: colony.one_queen() == queen, timeout=5)
    assert a.running and colony.daemons["b"].running
    # unicast datagrams to a shared (SO_REUSEPORT) port reach one of the sockets
    dropped = 0
    for v in colony.views().values():
        assert v is not None
        dropped += sum(
            n for k, n in v["counters"].items() if k.startswith("discovery_beacons_dropped")
        )
    assert dropped > 0


def test_graceful_stop_of_the_queen_hands_over(colony: Colony) -> None:
    for name in ("a", "b", "c"):
        colony.start(name)
    colony.wait(lambda: colony.one_queen() is not None, timeout=15)
    queen = colony.one_queen()
    assert queen is not None
    colony.daemons[queen].signal(signal.SIGTERM)
    rest = [n for n in colony.daemons if n != queen]
    took = colony.wait(lambda: colony.one_queen(rest) not in (None, queen), timeout=5)
    assert took < 1.0  # a handover, not a timeout
    assert colony.daemons[queen].proc.wait(timeout=5) == 0


def test_a_restarted_node_keeps_its_id_and_spec(colony: Colony) -> None:
    colony.start("a", "--spec", "web")
    colony.wait(
        lambda: (v := colony.daemons["a"].colony()) is not None and v["spec"] is not None,
        timeout=15,
    )
    colony.daemons["a"].signal(signal.SIGTERM)
    colony.daemons["a"].proc.wait(timeout=5)
    # again, without a name and without --spec: both come back from the state dir
    api = free_port()
    import subprocess

    from daemons import ROOT, Daemon

    from runtime.local import node_command

    log = colony.tmp / "a2.log"
    cmd = node_command(None, api, colony.discovery, colony.tmp / "a", colony.secret)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    colony.daemons["a2"] = Daemon("a2", proc, api, log)
    colony.wait(
        lambda: (
            (v := colony.daemons["a2"].colony()) is not None
            and v["node"] == "a"
            and v["spec"] is not None
            and v["spec"]["version"] == 1
        ),
        timeout=15,
    )


def test_the_demo_forms_kills_its_queen_and_cleans_up() -> None:
    import subprocess
    import sys

    from daemons import ROOT

    r = subprocess.run(
        [sys.executable, "-m", "aware_cli.main", "demo", "--nodes", "3", "--script"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "killed queen" in r.stdout
    assert "every survivor knew it after" in r.stdout
    assert "stopped all daemons" in r.stdout
