"""Benchmark of real daemons on this machine (loopback), against the runtime issue's
targets, and of the simulator on the same scenario (the sim-to-real gap).

    .venv/bin/python experiments/bench_runtime.py [--nodes 20] [--crashes 20]

Failover times are read from the daemons' own logs (millisecond timestamps on one
clock): from the SIGKILL of the queen until the last survivor logs the new queen.
Writes experiments/results/bench-runtime.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from runtime.local import free_port, node_command

HERE = Path(__file__).parent
ROOT = HERE.parent
# the web template, with requirements this one machine meets (all daemons share its DNA)
LOCAL_SPEC = """name: web-local
roles:
  frontend: {count: 2}
  middleware: {count: 2}
  database: {count: 1}
  storage: {count: 1}
"""
QUEEN_LINE = re.compile(r"^(\S+ \S+) INFO aware.daemon: queen is now (\S+)")


class Lab:
    def __init__(self, n: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="aware-bench-"))
        (self.dir / "secret").write_text(secrets.token_hex(24))
        (self.dir / "spec.yaml").write_text(LOCAL_SPEC)
        self.discovery = free_port(socket.SOCK_DGRAM)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.apis: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.names = [f"n{i:02d}" for i in range(1, n + 1)]

    def start(self, name: str) -> None:
        self.apis.setdefault(name, free_port())
        log = open(self.dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        cmd = node_command(
            name,
            self.apis[name],
            self.discovery,
            self.dir / name,
            self.dir / "secret",
            "--spec",
            str(self.dir / "spec.yaml"),
        )
        self.started[name] = time.time()
        self.procs[name] = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def alive(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() is None]

    def view(self, name: str) -> dict[str, Any] | None:
        try:
            r = httpx.get(f"http://127.0.0.1:{self.apis[name]}/v1/colony", timeout=1.0)
            return r.json() if r.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None

    def settled(self, need_roles: bool = True) -> str | None:
        views = [self.view(n) for n in self.alive()]
        if any(v is None for v in views):
            return None
        queens = {v["queen"] for v in views if v}
        if len(queens) != 1 or None in queens:
            return None
        if any(len(v["nodes"]) != len(views) for v in views if v):
            return None
        if need_roles:
            for v in views:
                if (
                    not v
                    or not v["spec"]
                    or any(r["have"] != r["want"] for r in v["spec"]["roles"])
                ):
                    return None
        return queens.pop()

    def wait(self, cond: Any, timeout: float) -> Any:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            got = cond()
            if got:
                return got
            time.sleep(0.05)
        raise RuntimeError(f"not settled within {timeout} s (logs in {self.dir})")

    def queen_seen(self, name: str, queen: str, after: float) -> float | None:
        """When ``name``'s log first says the queen is ``queen``, after ``after``."""
        for line in (self.dir / f"{name}.log").read_text(errors="replace").splitlines():
            m = QUEEN_LINE.match(line)
            if m and m.group(2) == queen:
                t = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                if t >= after:
                    return t
        return None

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.kill(p.pid, signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()


def measure_failovers(lab: Lab, crashes: int) -> list[float]:
    out: list[float] = []
    for i in range(crashes):
        queen = lab.wait(lambda: lab.settled(need_roles=False), timeout=30)
        time.sleep(1.0)
        t_kill = time.time()
        os.kill(lab.procs[queen].pid, signal.SIGKILL)
        lab.procs[queen].wait()
        survivors = lab.alive()
        new = lab.wait(
            lambda q=queen: (s := lab.settled(need_roles=False)) not in (None, q) and s, timeout=30
        )
        seen = [lab.queen_seen(n, new, t_kill) for n in survivors if n != new]
        seen.append(lab.queen_seen(new, new, t_kill))
        if any(s is None for s in seen):
            print(f"  crash {i + 1}: a survivor's log lacks the new queen", file=sys.stderr)
            continue
        took = max(s for s in seen if s is not None) - t_kill
        out.append(took)
        print(
            f"  crash {i + 1}/{crashes}: {queen} -> {new} in {took * 1000:.0f} ms",
            file=sys.stderr,
            flush=True,
        )
        lab.start(queen)  # it returns and rejoins under its id
    return out


def resources(lab: Lab, seconds: float = 10.0) -> dict[str, Any]:
    procs = {n: psutil.Process(lab.procs[n].pid) for n in lab.alive()}
    for p in procs.values():
        p.cpu_percent(None)
    before = {n: lab.view(n) for n in procs}
    time.sleep(seconds)
    after = {n: lab.view(n) for n in procs}
    cpu = {n: p.cpu_percent(None) for n, p in procs.items()}
    rss = {n: p.memory_info().rss / 1e6 for n, p in procs.items()}
    queen = next(v["queen"] for v in after.values() if v)
    sent = [
        (after[n]["counters"].get("bus_sent", 0) - before[n]["counters"].get("bus_sent", 0))
        / seconds
        for n in procs
        if after[n] and before[n]
    ]
    recv = [
        (after[n]["counters"].get("bus_received", 0) - before[n]["counters"].get("bus_received", 0))
        / seconds
        for n in procs
        if after[n] and before[n]
    ]
    workers = [n for n in procs if n != queen]
    return {
        "worker_cpu_pct_median": round(statistics.median(cpu[n] for n in workers), 2),
        "worker_cpu_pct_max": round(max(cpu[n] for n in workers), 2),
        "queen_cpu_pct": round(cpu[queen], 2),
        "worker_rss_mb_median": round(statistics.median(rss[n] for n in workers), 1),
        "worker_rss_mb_max": round(max(rss[n] for n in workers), 1),
        "signals_sent_per_node_s": round(statistics.mean(sent), 2),
        "signals_received_per_node_s": round(statistics.mean(recv), 2),
    }


def sim_twin(n: int, crashes: int) -> dict[str, Any]:
    from sim import run as simrun

    scenario = simrun.build(
        {
            "name": "runtime-twin",
            "seed": 1,
            "duration": 15 * (crashes + 1),
            "nodes": {"count": n, "dna": {"cpu": [2], "memory_gb": [25]}},
            "network": {"latency_ms": {"mean": 0.2, "jitter": 0.1}, "loss": 0.0},
            "spec": {"roles": {"frontend": 2, "middleware": 2, "database": 1, "storage": 1}},
            "faults": [
                {"every": 15, "from": 15, "action": "crash", "target": "queen"},
                {"every": 15, "from": 20, "action": "restart", "target": "all"},
            ],
        }
    )
    summary, _ = simrun.run(scenario)
    return {
        "failover_s": summary["failover_s"],
        "formation_s": summary["formation_s"],
        "msgs_sent_per_node_s": summary["msgs_sent_per_node_s"],
        "msgs_recv_per_node_s": summary["msgs_recv_per_node_s"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nodes", type=int, default=20)
    ap.add_argument("--crashes", type=int, default=20)
    args = ap.parse_args()
    lab = Lab(args.nodes)
    res: dict[str, Any] = {"nodes": args.nodes, "when": time.strftime("%Y-%m-%d %H:%M")}
    try:
        t0 = time.time()
        for name in lab.names:
            lab.start(name)
        lab.wait(lambda: all(lab.view(n) for n in lab.names), timeout=60)
        t_up = time.time()
        lab.wait(lab.settled, timeout=60)
        t_formed = time.time()
        res["formation_from_launch_s"] = round(t_formed - t0, 2)
        res["formation_after_all_up_s"] = round(t_formed - t_up, 2)
        res["launch_s"] = round(t_up - t0, 2)
        print(f"formed: {res}", file=sys.stderr, flush=True)
        time.sleep(3)
        res["steady"] = resources(lab)
        print(f"steady: {res['steady']}", file=sys.stderr, flush=True)
        fos = measure_failovers(lab, args.crashes)
        fos.sort()
        res["failover"] = {
            "n": len(fos),
            "median": round(statistics.median(fos), 3),
            "p90": round(fos[int(0.9 * (len(fos) - 1))], 3),
            "max": round(max(fos), 3),
            "all": [round(f, 3) for f in fos],
        }
        joins = []
        for k in range(5):
            queen = lab.wait(lambda: lab.settled(need_roles=False), timeout=30)
            joiner = f"n{args.nodes + 1 + k:02d}"
            lab.names.append(joiner)
            t_join = time.time()
            lab.start(joiner)

            def joined(joiner: str = joiner, queen: str = queen) -> bool:
                qv = lab.view(queen)
                jv = lab.view(joiner)
                return bool(
                    qv and jv and joiner in {n["id"] for n in qv["nodes"]} and jv["queen"] == queen
                )

            lab.wait(joined, timeout=30)
            joins.append(round(time.time() - t_join, 3))
            time.sleep(1.0)
        res["join_s"] = statistics.median(joins)
        res["join_all_s"] = joins
    finally:
        lab.stop()
    res["sim"] = sim_twin(args.nodes, args.crashes)
    real = res["failover"]["median"]
    simulated = res["sim"]["failover_s"]["median"]
    res["sim_to_real_gap"] = round(abs(simulated - real) / real, 3)
    out = HERE / "results" / "bench-runtime.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
