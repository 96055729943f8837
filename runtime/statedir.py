"""The state directory: a node's stable id and the last spec it held, written atomically."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from runtime.errors import ConfigError


class StateDir:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(
                "state-dir", f"cannot create {self.path}: {err.strerror or err}"
            ) from None

    def _write(self, name: str, text: str) -> None:
        tmp = self.path / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path / name)

    def node_id(self, wanted: str = "") -> str:
        """``wanted`` if given (and remembered), else the id kept here, else a new one."""
        f = self.path / "node-id"
        if wanted:
            self._write("node-id", wanted + "\n")
            return wanted
        if f.exists():
            stored = f.read_text(encoding="utf-8").strip()
            if stored:
                return stored
        new = f"node-{secrets.token_hex(4)}"
        self._write("node-id", new + "\n")
        return new

    def api_token(self) -> tuple[str, bool]:
        """The API token kept here, creating one at first start: (token, created)."""
        f = self.path / "api-token"
        if f.exists():
            token = f.read_text(encoding="utf-8").strip()
            if token:
                return token, False
        token = secrets.token_urlsafe(24)
        self._write("api-token", token + "\n")
        os.chmod(f, 0o600)
        return token, True

    def save_spec(self, payload: dict[str, Any]) -> None:
        self._write("spec.json", json.dumps(payload, indent=1))

    def load_spec(self) -> dict[str, Any] | None:
        f = self.path / "spec.json"
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None
