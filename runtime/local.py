"""Daemons on this machine: the command line of a loopback node and free ports.

Shared by ``aware demo``, the runtime benchmarks and the test harness, so that all of
them start nodes the same way.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nobody listens on right now (TCP by default; SOCK_DGRAM for UDP)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def node_command(
    name: str | None,
    api_port: int,
    discovery_port: int,
    state_dir: Path,
    secret_file: Path,
    *extra: str,
    beacon_interval: float | None = None,
) -> list[str]:
    """``aware node`` on loopback: any free signal port, the API on ``api_port``."""
    cmd = [sys.executable, "-m", "aware_cli.main", "node"]
    if name:
        cmd += ["--name", name]
    cmd += [
        "--bind",
        "127.0.0.1",
        "--port",
        "0",
        "--api",
        f"127.0.0.1:{api_port}",
        "--discovery-port",
        str(discovery_port),
        "--state-dir",
        str(state_dir),
        "--secret-file",
        str(secret_file),
    ]
    if beacon_interval is not None:
        cmd += ["--beacon-interval", str(beacon_interval)]
    return [*cmd, *extra]
