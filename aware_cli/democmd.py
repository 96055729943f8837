"""``aware demo``: N real daemons on this machine, a live colony table, and a queen to kill.

Each daemon is a separate process on loopback, found by broadcast beacons, sharing a
secret made for the demo; the web spec is submitted at start. Type ``k`` + Enter to
kill the queen (SIGKILL) and watch the failover, ``r`` to restart the dead, ``q`` (or
Ctrl-C) to stop everything. Without a terminal the demo runs a script: it forms,
kills the queen once, reports the failover and stops.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from runtime.local import free_port, node_command

CLEAR = "\x1b[H\x1b[2J"


def add_command(sub: Any) -> None:
    p = sub.add_parser("demo", help="run a colony of real daemons on this machine")
    p.add_argument("--nodes", type=int, default=5, help="how many daemons (default 5)")
    p.add_argument("--spec", default="web", help="template or spec file (default: web)")
    p.add_argument(
        "--script",
        action="store_true",
        help="no keyboard: form, kill the queen once, report and stop",
    )
    p.set_defaults(func=cmd_demo)


class DemoColony:
    def __init__(self, n: int, spec: str) -> None:
        if not 1 <= n <= 64:
            raise SystemExit("aware demo: --nodes must be between 1 and 64")
        self.dir = Path(tempfile.mkdtemp(prefix="aware-demo-"))
        (self.dir / "secret").write_text(secrets.token_hex(24))
        self.discovery = free_port(socket.SOCK_DGRAM)
        self.spec = spec
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.apis: dict[str, int] = {}
        self.events: list[str] = []
        for i in range(1, n + 1):
            self.start(f"node{i}")

    def start(self, name: str) -> None:
        api = self.apis.get(name) or free_port()
        self.apis[name] = api
        log = open(self.dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        cmd = node_command(
            name,
            api,
            self.discovery,
            self.dir / name,
            self.dir / "secret",
            "--spec",
            self.spec,
            beacon_interval=0.25,
        )
        self.procs[name] = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def alive(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() is None]

    def view(self, name: str) -> dict[str, Any] | None:
        import httpx

        try:
            r = httpx.get(f"http://127.0.0.1:{self.apis[name]}/v1/colony", timeout=0.5)
            return r.json() if r.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None

    def queen(self) -> tuple[str | None, dict[str, Any] | None]:
        for name in self.alive():
            v = self.view(name)
            if v is not None:
                return v.get("queen"), v
        return None, None

    def kill(self, name: str) -> None:
        p = self.procs.get(name)
        if p is not None and p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=5)

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.kill(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for p in self.procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=5)


def render(colony: DemoColony, note: str) -> str:
    queen, view = colony.queen()
    lines = [
        f"AWARE demo — {len(colony.alive())}/{len(colony.procs)} daemons running, "
        f"queen: {queen or '(none)'}   [k] kill queen  [r] restart dead  [q] quit",
        "",
    ]
    if view is not None:
        lines.append(f"{'node':<8} {'state':<10} {'role':<12} {'last seen':>9}  dna")
        for n in view["nodes"]:
            dna = n["dna"]
            lines.append(
                f"{n['id']:<8} {n['state']:<10} {n['role'] or '-':<12} "
                f"{n['last_seen_s']:>8.1f}s  cpu {dna.get('c')} mem {dna.get('m')} GB"
            )
        if view.get("spec"):
            lines.append("")
            lines.append(
                f"spec {view['spec']['name']} v{view['spec']['version']}: "
                + ", ".join(f"{r['name']} {r['have']}/{r['want']}" for r in view["spec"]["roles"])
            )
            if any(r["have"] < r["want"] for r in view["spec"]["roles"]):
                lines.append(
                    "(all daemons here share this machine's DNA: a role whose "
                    "requirements it does not meet stays short)"
                )
    lines.append("")
    lines.extend(colony.events[-8:])
    if note:
        lines.append(note)
    return "\n".join(lines)


def _watch_failover(colony: DemoColony, old: str, t0: float) -> float | None:
    while time.monotonic() - t0 < 15:
        q, _ = colony.queen()
        if q not in (None, old):
            views = [colony.view(n) for n in colony.alive()]
            if all(v is not None and v["queen"] == q for v in views):
                return time.monotonic() - t0
        time.sleep(0.02)
    return None


def _kill_queen(colony: DemoColony) -> None:
    queen, _ = colony.queen()
    if queen is None or queen not in colony.procs:
        colony.events.append("no queen to kill yet")
        return
    t0 = time.monotonic()
    colony.kill(queen)
    colony.events.append(f"{time.strftime('%H:%M:%S')} killed queen {queen} (SIGKILL)")
    took = _watch_failover(colony, queen, t0)
    new, _ = colony.queen()
    if took is None:
        colony.events.append("  no new queen within 15 s")
    else:
        colony.events.append(f"  {new} rules; every survivor knew it after {took * 1000:.0f} ms")


def run_script(colony: DemoColony) -> int:
    print(f"starting {len(colony.procs)} daemons (logs in {colony.dir}) ...", flush=True)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        _, v = colony.queen()
        if (
            v
            and v.get("spec")
            and len(v["nodes"]) == len(colony.procs)
            and all(r["have"] == r["want"] or r["have"] >= 0 for r in v["spec"]["roles"])
        ):
            break
        time.sleep(0.2)
    print(f"formed in {time.monotonic() - t0:.1f} s")
    print(render(colony, ""))
    _kill_queen(colony)
    print("\n".join(colony.events))
    time.sleep(2)
    print(render(colony, ""))
    return 0


def run_interactive(colony: DemoColony) -> int:
    keys: queue.Queue[str] = queue.Queue()

    def reader() -> None:
        for line in sys.stdin:
            keys.put(line.strip().lower())

    threading.Thread(target=reader, daemon=True).start()
    while True:
        sys.stdout.write(CLEAR + render(colony, "") + "\n> ")
        sys.stdout.flush()
        try:
            key = keys.get(timeout=0.5)
        except queue.Empty:
            continue
        if key.startswith("q"):
            return 0
        if key.startswith("k"):
            _kill_queen(colony)
        elif key.startswith("r"):
            for name, p in colony.procs.items():
                if p.poll() is not None:
                    colony.start(name)
                    colony.events.append(f"{time.strftime('%H:%M:%S')} restarted {name}")


def cmd_demo(args: argparse.Namespace) -> int:
    colony = DemoColony(args.nodes, args.spec)
    try:
        if args.script or not sys.stdin.isatty():
            return run_script(colony)
        return run_interactive(colony)
    except KeyboardInterrupt:
        return 0
    finally:
        with contextlib.suppress(KeyboardInterrupt):
            colony.stop()
        print(f"\nstopped all daemons; logs are in {colony.dir}")
