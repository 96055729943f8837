"""Runtime errors, on top of the core's hierarchy: configuration mistakes are local
errors naming the field; network garbage is counted and dropped, never raised."""

from __future__ import annotations

from aware.errors import AwareError, ValidationError


class ConfigError(ValidationError):
    """A daemon option, config file or environment variable is invalid."""


class RuntimeFailure(AwareError):
    """The daemon cannot run (e.g. its port is taken); the message says what to do."""
