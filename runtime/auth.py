"""Message authentication from the colony secret.

Every signal and beacon carries an HMAC-SHA256 tag (truncated to 16 bytes) over the
colony name and the message body, keyed by the colony secret. A node without the secret
can neither be heard nor be believed. Without a secret the colony runs in *open lab
mode*: tags are empty and anyone on the network can join (the daemon says so loudly).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from runtime.errors import ConfigError

TAG_BYTES = 16
MIN_SECRET_BYTES = 16


class Authenticator:
    """Seals and checks messages of one colony."""

    def __init__(self, colony: str, secret: bytes | None) -> None:
        if secret is not None and len(secret) < MIN_SECRET_BYTES:
            raise ConfigError("secret-file", f"the secret needs at least {MIN_SECRET_BYTES} bytes")
        self.colony = colony
        self._key = secret
        self._prefix = colony.encode() + b"\0"

    @property
    def open_mode(self) -> bool:
        return self._key is None

    def tag(self, body: bytes) -> bytes:
        if self._key is None:
            return b""
        return hmac.new(self._key, self._prefix + body, hashlib.sha256).digest()[:TAG_BYTES]

    def check(self, body: bytes, tag: bytes) -> bool:
        if self._key is None:
            return True
        return hmac.compare_digest(self.tag(body), tag)


def read_secret(path: str | Path | None) -> bytes | None:
    """The colony secret from a file (surrounding whitespace stripped), or None."""
    if path is None:
        return None
    p = Path(path)
    try:
        data = p.read_bytes().strip()
    except OSError as err:
        raise ConfigError("secret-file", f"cannot read {p}: {err.strerror or err}") from None
    if len(data) < MIN_SECRET_BYTES:
        raise ConfigError(
            "secret-file", f"{p} holds {len(data)} bytes; at least {MIN_SECRET_BYTES} are needed"
        )
    return data
