"""Real daemons on real (namespaced) hosts: formation, joins, crashes, frozen queens,
partitions with a spec change, intruders and garbage. Needs root; skips otherwise."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import netns
import pytest
from netns import NetLab

REASON = netns.available()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[NetLab]:
    net = NetLab(tmp_path, hosts=5)
    try:
        yield net
    finally:
        net.close()


def start_all(lab: NetLab, *extra: str) -> None:
    for h in lab.hosts:
        h.start(*extra)
    lab.wait(lambda: lab.one_queen() is not None, timeout=20)


def test_five_form_a_colony_and_a_sixth_joins(lab: NetLab) -> None:
    start_all(lab, "--spec", "web")
    took = lab.wait(
        lambda: all((v := h.colony()) is not None and len(v["nodes"]) == 5 for h in lab.hosts),
        timeout=10,
    )
    assert took < 5
    queen = lab.one_queen()
    sixth = lab.add_host(6)
    sixth.start()
    lab.wait(
        lambda: (
            lab.one_queen() == queen
            and all((v := h.colony()) is not None and len(v["nodes"]) == 6 for h in lab.hosts)
        ),
        timeout=10,
    )
    took = lab.wait(
        lambda: (
            (v6 := sixth.colony()) is not None
            and v6["spec"] is not None
            and v6["spec"]["version"] == 1
        ),
        timeout=5,
    )  # repaired by the others
    assert took < 2


def test_a_killed_queen_is_replaced(lab: NetLab) -> None:
    start_all(lab)
    queen = lab.one_queen()
    qhost = next(h for h in lab.hosts if h.name == queen)
    qhost.kill(signal.SIGKILL)
    rest = [h for h in lab.hosts if h is not qhost]
    took = lab.wait(lambda: lab.one_queen(rest) not in (None, queen), timeout=10)
    assert took < 5


def test_a_frozen_queen_is_replaced_and_steps_down_when_it_thaws(lab: NetLab) -> None:
    start_all(lab)
    queen = lab.one_queen()
    qhost = next(h for h in lab.hosts if h.name == queen)
    qhost.kill(signal.SIGSTOP)
    rest = [h for h in lab.hosts if h is not qhost]
    lab.wait(lambda: lab.one_queen(rest) not in (None, queen), timeout=10)
    new = lab.one_queen(rest)
    qhost.kill(signal.SIGCONT)
    lab.wait(lambda: lab.one_queen() == new, timeout=10)
    view = qhost.colony()
    assert view is not None and view["queen"] == new and view["node"] == queen


def test_partition_fission_spec_change_and_fusion(lab: NetLab) -> None:
    start_all(lab, "--spec", "web")
    lab.wait(lambda: all((v := h.colony()) and v["spec"] for h in lab.hosts), timeout=10)
    big, small = lab.hosts[:3], lab.hosts[3:]
    lab.partition(small)
    lab.wait(lambda: lab.one_queen(big) is not None, timeout=10)

    def small_has_own_queen() -> bool:
        views = [h.colony_inside() for h in small]
        queens = {v["queen"] if v else None for v in views}
        return len(queens) == 1 and None not in queens and queens.pop() in {h.name for h in small}

    lab.wait(small_has_own_queen, timeout=15)
    r = big[0].put_spec("name: bigger\nroles: {frontend: {count: 1}, storage: {count: 1}}\n")
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    assert version == 2
    lab.heal()
    lab.wait(lambda: lab.one_queen() is not None, timeout=15)
    lab.wait(
        lambda: all(
            (v := h.colony())
            and v["spec"]
            and v["spec"]["version"] == version
            and v["spec"]["name"] == "bigger"
            for h in lab.hosts
        ),
        timeout=15,
    )
    assert len(lab.queens()) == 1


def test_an_intruder_without_the_secret_changes_nothing(lab: NetLab, tmp_path: Path) -> None:
    hosts = lab.hosts[:4]
    for h in hosts:
        h.start()
    lab.wait(lambda: lab.one_queen(hosts) is not None, timeout=20)
    queen = lab.one_queen(hosts)
    wrong = tmp_path / "wrong-secret"
    wrong.write_bytes(b"a-secret-of-the-wrong-colony-00")
    intruder = lab.hosts[4]
    intruder.start(secret=wrong)
    lab.wait(
        lambda: (v := intruder.colony()) is not None and v["queen"] == intruder.name, timeout=15
    )
    for h in hosts:
        v = h.colony()
        assert v is not None and v["queen"] == queen
        assert intruder.name not in {n["id"] for n in v["nodes"]}


def test_garbage_on_the_wire_is_dropped_and_counted(lab: NetLab) -> None:
    start_all(lab)
    queen = lab.one_queen()
    target = lab.hosts[0]
    code = (
        "import os,socket\n"
        "u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
        "u.setsockopt(socket.SOL_SOCKET,socket.SO_BROADCAST,1)\n"
        f"[u.sendto(os.urandom(i%900),('{lab.subnet}.255',7700)) for i in range(500)]\n"
        "for i in range(30):\n"
        "  try:\n"
        f"    t=socket.create_connection(('{target.ip}',7701),timeout=1)\n"
        "    t.sendall(os.urandom(97*i));t.close()\n"
        "  except OSError: pass\n"
    )
    rogue = lab.hosts[4]
    rogue.kill(signal.SIGKILL)  # its namespace now hosts the attacker
    subprocess.run(
        ["ip", "netns", "exec", rogue.ns, sys.executable, "-c", code], check=True, timeout=30
    )
    survivors = lab.hosts[:4]
    lab.wait(lambda: lab.one_queen(survivors) is not None, timeout=10)
    if queen != rogue.name:
        assert lab.one_queen(survivors) == queen
    v = target.colony()
    assert v is not None
    assert sum(n for k, n in v["counters"].items() if "beacons_dropped" in k) > 0
    assert all(h.running for h in survivors)
