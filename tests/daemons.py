"""A harness for real daemons on this machine: processes, ports, state dirs, cleanup."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from runtime.local import free_port, node_command

ROOT = Path(__file__).resolve().parent.parent


class Daemon:
    def __init__(self, name: str, proc: subprocess.Popen[bytes], api: int, log: Path) -> None:
        self.name = name
        self.proc = proc
        self.api = api
        self.log = log

    def colony(self) -> dict[str, Any] | None:
        try:
            r = httpx.get(f"http://127.0.0.1:{self.api}/v1/colony", timeout=1.0)
            return r.json() if r.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    @property
    def running(self) -> bool:
        return self.proc.poll() is None


class Colony:
    """Daemons on loopback sharing a secret and a private discovery port."""

    def __init__(self, tmp: Path, secret: bytes = b"test-colony-secret-0123456789") -> None:
        self.tmp = tmp
        self.discovery = free_port(socket.SOCK_DGRAM)
        self.secret = tmp / "secret"
        self.secret.write_bytes(secret)
        self.token_value = "daemon-test-token-0123456789"
        self.token = tmp / "token"
        self.token.write_text(self.token_value)
        self.daemons: dict[str, Daemon] = {}

    def start(self, name: str, *extra: str, secret: Path | None = None) -> Daemon:
        api = free_port()
        log = self.tmp / f"{name}.log"
        cmd = node_command(
            name,
            api,
            self.discovery,
            self.tmp / name,
            secret or self.secret,
            "--api-token-file",
            str(self.token),
            *extra,
            beacon_interval=0.2,
        )
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=open(log, "wb"),
            stderr=subprocess.STDOUT,
        )
        d = Daemon(name, proc, api, log)
        self.daemons[name] = d
        return d

    def wait(self, cond: Callable[[], bool], timeout: float = 10.0) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if cond():
                return time.monotonic() - t0
            time.sleep(0.05)
        raise AssertionError(
            f"condition not met within {timeout} s; logs: "
            + "; ".join(f"{n}: {d.log.read_text()[-600:]}" for n, d in self.daemons.items())
        )

    def views(self, names: list[str] | None = None) -> dict[str, dict[str, Any] | None]:
        return {
            n: self.daemons[n].colony()
            for n in (names or list(self.daemons))
            if self.daemons[n].running
        }

    def one_queen(self, names: list[str] | None = None) -> str | None:
        views = self.views(names)
        queens = {v["queen"] if v else None for v in views.values()}
        if len(queens) == 1 and None not in queens:
            return queens.pop()
        return None

    def stop(self) -> None:
        for d in self.daemons.values():
            d.signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for d in self.daemons.values():
            try:
                d.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                d.signal(signal.SIGKILL)
                d.proc.wait(timeout=5)
