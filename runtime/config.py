"""Daemon configuration: defaults < config file < environment (AWARE_*) < command line.

Every option has one name, used everywhere: ``--state-dir`` on the command line,
``state_dir`` in the YAML config file, ``AWARE_STATE_DIR`` in the environment.
Validation names the option and the reason.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from aware.params import PROFILES
from runtime.errors import ConfigError

DEFAULT_PORT = 7701  # signals (ZeroMQ PUB)
DEFAULT_DISCOVERY_PORT = 7700  # UDP beacons, the same on every node of a network
DEFAULT_API_PORT = 7780


@dataclass(frozen=True)
class NodeConfig:
    name: str = ""  # node id; empty: a stable id kept in the state dir
    colony: str = "aware"
    bind: str = "0.0.0.0"
    port: int = DEFAULT_PORT  # 0 picks a free port
    discovery_port: int = DEFAULT_DISCOVERY_PORT
    join: tuple[str, ...] = ()  # HOST:PORT signal endpoints, for networks without broadcast
    secret_file: str = ""
    state_dir: str = "/var/lib/aware"
    labels: Mapping[str, str] = field(default_factory=dict)
    zone: str = ""
    api: str = f"127.0.0.1:{DEFAULT_API_PORT}"  # HOST:PORT, or "off"
    api_token_file: str = ""  # bearer token for writes; empty: generated into the state dir
    api_read_auth: bool = False  # reads need the token too
    profile: str = "LAN"
    trace: str = ""  # write the core's events and actions here (JSON lines)
    spec: str = ""  # a template name or YAML file, submitted at start if the colony has none
    beacon_interval: float = 1.0
    broadcast: bool = True  # send beacons to directed broadcast addresses
    max_clock_skew: float = 30.0  # signals stamped further in the future are dropped

    def validated(self) -> NodeConfig:
        if self.name and (len(self.name) > 64 or not _is_id(self.name)):
            raise ConfigError("name", "use 1-64 letters, digits, '.', '-' or '_'")
        if not self.colony or len(self.colony) > 64 or not _is_id(self.colony):
            raise ConfigError("colony", "use 1-64 letters, digits, '.', '-' or '_'")
        try:
            ipaddress.ip_address(self.bind)
        except ValueError:
            raise ConfigError("bind", f"{self.bind!r} is not an IP address") from None
        for name in ("port", "discovery_port"):
            value = getattr(self, name)
            if not 0 <= value <= 65535:
                raise ConfigError(name.replace("_", "-"), f"{value} is not a port number")
        for hp in self.join:
            split_hostport(hp, "join")
        if self.api != "off":
            split_hostport(self.api, "api")
        if self.profile.upper() not in PROFILES:
            raise ConfigError(
                "profile", f"unknown profile {self.profile!r} (known: {', '.join(PROFILES)})"
            )
        if not 0.05 <= self.beacon_interval <= 60:
            raise ConfigError("beacon-interval", "must be between 0.05 and 60 seconds")
        return replace(self, profile=self.profile.upper())

    @property
    def api_hostport(self) -> tuple[str, int] | None:
        return None if self.api == "off" else split_hostport(self.api, "api")


def _is_id(text: str) -> bool:
    return all(c.isalnum() or c in ".-_" for c in text)


def split_hostport(text: str, option: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(option, f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def parse_labels(items: list[str] | Mapping[str, Any], option: str = "label") -> dict[str, str]:
    if isinstance(items, Mapping):
        return {str(k): str(v) for k, v in items.items()}
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(option, f"expected KEY=VALUE, got {item!r}")
        out[key] = value
    return out


_TYPES = {f.name: f.type for f in fields(NodeConfig)}


def _coerce(name: str, value: Any, where: str) -> Any:
    kind = str(_TYPES[name])
    try:
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if kind.startswith("tuple"):
            if isinstance(value, str):
                return tuple(v for v in value.replace(",", " ").split() if v)
            return tuple(str(v) for v in value)
        if kind.startswith("Mapping"):
            if isinstance(value, str):
                return parse_labels([v for v in value.replace(",", " ").split() if v], where)
            return parse_labels(value, where)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(where, f"cannot use {value!r} here") from None


def load(
    cli: Mapping[str, Any], config_file: str | None = None, env: Mapping[str, str] | None = None
) -> NodeConfig:
    """Merge the layers into a validated NodeConfig. ``cli`` holds only options given."""
    merged: dict[str, Any] = {}
    if config_file:
        path = Path(config_file)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as err:
            raise ConfigError("config", f"cannot read {path}: {err.strerror or err}") from None
        except (yaml.YAMLError, UnicodeDecodeError):
            raise ConfigError("config", f"{path} is not valid YAML") from None
        if not isinstance(data, Mapping):
            raise ConfigError("config", f"{path} must hold a mapping of options")
        for key, value in data.items():
            name = str(key).replace("-", "_")
            if name not in _TYPES:
                raise ConfigError(f"config.{key}", "unknown option")
            merged[name] = _coerce(name, value, f"config.{key}")
    for name in _TYPES:
        raw = (env if env is not None else os.environ).get(f"AWARE_{name.upper()}")
        if raw is not None:
            merged[name] = _coerce(name, raw, f"AWARE_{name.upper()}")
    for name, value in cli.items():
        if value is not None:
            merged[name] = _coerce(name, value, name.replace("_", "-"))
    return NodeConfig(**merged).validated()
