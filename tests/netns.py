"""Test hosts in network namespaces: one daemon per namespace, joined by veth pairs to a
bridge in a private "switch" namespace. Addresses come from 198.18.0.0/15 (reserved
for network benchmarks), so nothing here can reach a real network.

A partition moves some hosts' switch ports to a second bridge; healing moves them back.
The root namespace gets one port on the bridge (198.18.N.254) so the test can call the
daemons' HTTP APIs. Everything is removed on close, also after a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
API_PORT = 7780


def available() -> str | None:
    """None when namespaces can be used here, else the reason they cannot."""
    if os.geteuid() != 0:
        return "network namespace tests need root (ip netns)"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    probe = f"awprobe{uuid.uuid4().hex[:6]}"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, check=False)
    if r.returncode != 0:
        return f"cannot create a network namespace: {r.stderr.decode().strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return None


def sh(*cmd: str) -> None:
    r = subprocess.run(cmd, capture_output=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.decode().strip()}")


class Host:
    def __init__(self, net: NetLab, index: int) -> None:
        self.net = net
        self.index = index
        self.name = f"h{index}"
        self.ns = f"{net.prefix}-{self.name}"
        self.ip = f"{net.subnet}.{index}"
        self.port = f"{net.prefix}p{index}"  # switch-side veth name (<= 15 chars)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = net.tmp / f"{self.name}.log"

    def start(self, *extra: str, secret: Path | None = None) -> None:
        cmd = [
            "ip",
            "netns",
            "exec",
            self.ns,
            sys.executable,
            "-m",
            "aware_cli.main",
            "node",
            "--name",
            self.name,
            "--colony",
            "nslab",
            "--port",
            "7701",
            "--api",
            f"0.0.0.0:{API_PORT}",
            "--api-token-file",
            str(self.net.token),
            "--beacon-interval",
            "0.25",
            "--state-dir",
            str(self.net.tmp / self.name),
            "--secret-file",
            str(secret or self.net.secret),
            *extra,
        ]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT
        )

    def kill(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def colony(self) -> dict[str, Any] | None:
        try:
            r = httpx.get(f"http://{self.ip}:{API_PORT}/v1/colony", timeout=0.5)
            return r.json() if r.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None

    def colony_inside(self) -> dict[str, Any] | None:
        """Ask the daemon from inside its namespace (works across a partition)."""
        code = (
            "import urllib.request;print(urllib.request.urlopen("
            f"'http://127.0.0.1:{API_PORT}/v1/colony',timeout=1).read().decode())"
        )
        r = subprocess.run(
            ["ip", "netns", "exec", self.ns, sys.executable, "-c", code],
            capture_output=True,
            check=False,
            timeout=10,
        )
        if r.returncode != 0:
            return None
        try:
            data: dict[str, Any] = json.loads(r.stdout)
        except ValueError:
            return None
        return data

    def put_spec(self, yaml_text: str) -> httpx.Response:
        return httpx.put(
            f"http://{self.ip}:{API_PORT}/v1/spec",
            content=yaml_text,
            headers={"Authorization": f"Bearer {self.net.token_value}"},
            timeout=2.0,
        )


class NetLab:
    """N namespaces on one bridge; partitions by moving ports to a second bridge."""

    def __init__(self, tmp: Path, hosts: int, subnet_id: int = 77) -> None:
        self.tmp = tmp
        self.prefix = f"aw{uuid.uuid4().hex[:4]}"
        self.subnet = f"198.18.{subnet_id}"
        self.switch = f"{self.prefix}-sw"
        self.secret = tmp / "secret"
        self.secret.write_bytes(b"netns-colony-secret-0123456789")
        self.token = tmp / "token"
        self.token_value = "netns-test-token-0123456789"
        self.token.write_text(self.token_value)
        self.hosts: list[Host] = []
        self._made: list[str] = []
        self._root_port = f"{self.prefix}r"
        try:
            self._build(hosts)
        except Exception:
            self.close()
            raise

    def _build(self, n: int) -> None:
        sh("ip", "netns", "add", self.switch)
        self._made.append(self.switch)
        for br in ("br0", "br1"):
            sh("ip", "-n", self.switch, "link", "add", br, "type", "bridge")
            sh("ip", "-n", self.switch, "link", "set", br, "up")
        # the test's own port, for HTTP calls to the daemons
        sh(
            "ip",
            "link",
            "add",
            self._root_port,
            "type",
            "veth",
            "peer",
            "name",
            "rootp",
            "netns",
            self.switch,
        )
        sh("ip", "-n", self.switch, "link", "set", "rootp", "master", "br0", "up")
        sh("ip", "addr", "add", f"{self.subnet}.254/24", "dev", self._root_port)
        sh("ip", "link", "set", self._root_port, "up")
        for i in range(1, n + 1):
            self.add_host(i)

    def add_host(self, i: int) -> Host:
        h = Host(self, i)
        sh("ip", "netns", "add", h.ns)
        self._made.append(h.ns)
        sh("ip", "link", "add", h.port, "type", "veth", "peer", "name", "eth0", "netns", h.ns)
        sh("ip", "link", "set", h.port, "netns", self.switch)
        sh("ip", "-n", self.switch, "link", "set", h.port, "master", "br0", "up")
        sh("ip", "-n", h.ns, "addr", "add", f"{h.ip}/24", "brd", "+", "dev", "eth0")
        sh("ip", "-n", h.ns, "link", "set", "eth0", "up")
        sh("ip", "-n", h.ns, "link", "set", "lo", "up")
        self.hosts.append(h)
        return h

    def partition(self, minority: list[Host]) -> None:
        """Cut ``minority`` off from the rest (and from the test's port)."""
        for h in minority:
            sh("ip", "-n", self.switch, "link", "set", h.port, "master", "br1")

    def heal(self) -> None:
        for h in self.hosts:
            sh("ip", "-n", self.switch, "link", "set", h.port, "master", "br0")

    def wait(self, cond: Callable[[], bool], timeout: float) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if cond():
                return time.monotonic() - t0
            time.sleep(0.05)
        tails = "; ".join(
            f"{h.name}: {h.log.read_text(errors='replace')[-400:]}"
            for h in self.hosts
            if h.log.exists()
        )
        raise AssertionError(f"condition not met within {timeout} s; logs: {tails}")

    def queens(self, hosts: list[Host] | None = None) -> set[str | None]:
        views = [h.colony() for h in (hosts or self.hosts) if h.running]
        return {v["queen"] if v else None for v in views}

    def one_queen(self, hosts: list[Host] | None = None) -> str | None:
        q = self.queens(hosts)
        return next(iter(q)) if len(q) == 1 and None not in q else None

    def close(self) -> None:
        for h in self.hosts:
            if h.proc is not None and h.proc.poll() is None:
                h.kill(signal.SIGCONT)
                h.kill(signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    h.proc.wait(timeout=5)
        subprocess.run(["ip", "link", "del", self._root_port], capture_output=True, check=False)
        for ns in reversed(self._made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
        self._made.clear()
