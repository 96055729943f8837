"""The AWARE exception hierarchy: small, shallow, documented.

*Local* errors mean the caller misused the core (a bad spec, bad parameters);
*remote* errors mean a peer sent something we cannot accept. Drivers translate
third-party exceptions into these at their boundary.
"""

from __future__ import annotations


class AwareError(Exception):
    """Base class of every error AWARE raises on purpose."""


class ValidationError(AwareError, ValueError):
    """Input that names a bad field: `field` is a dotted path, `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)

    def within(self, prefix: str) -> ValidationError:
        """The same error with `prefix` put in front of its field path."""
        joined = f"{prefix}.{self.field}" if self.field else prefix
        return type(self)(joined, self.reason)


class SpecError(ValidationError):
    """A cluster spec is invalid."""


class ParamsError(ValidationError):
    """Policy parameters are invalid."""


class RemoteProtocolError(AwareError):
    """A peer sent bytes or a signal that we refuse (malformed, oversized, replayed...)."""

    def __init__(self, reason: str, counter: str = "malformed") -> None:
        self.reason = reason
        self.counter = counter
        super().__init__(reason)
