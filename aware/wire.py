"""The wire format of a signal: one version byte, then a msgpack array.

Pure encoding and decoding, shared by the simulator (to count bytes exactly as the
runtime sends them) and the runtime (which adds authentication around it).
Decoding never raises anything but :class:`~aware.errors.RemoteProtocolError`.
"""

from __future__ import annotations

import math
from typing import Any

import msgpack

from aware.errors import RemoteProtocolError
from aware.signals import Kind, Signal

WIRE_VERSION = 1
MAX_SIGNAL_BYTES = 64 * 1024  # a spec of 64 roles fits many times over
MAX_ID_LEN = 128
_KINDS = {k.value: k for k in Kind}
# everything msgpack.unpackb raises on hostile bytes (shared with the beacon parser)
UNPACK_ERRORS = (
    ValueError,
    TypeError,
    msgpack.ExtraData,
    msgpack.FormatError,
    msgpack.StackError,
    RecursionError,
)


def encode(sig: Signal) -> bytes:
    """Serialise ``sig``."""
    body: bytes = msgpack.packb(
        [
            sig.sender,
            sig.kind.value,
            sig.seq,
            sig.emitted,
            sig.incarnation,
            sig.strength,
            sig.payload,
        ],
        use_bin_type=True,
    )
    return bytes((WIRE_VERSION,)) + body


def decode(data: bytes) -> Signal:
    """Parse bytes from the network into a Signal, or raise RemoteProtocolError."""
    if len(data) > MAX_SIGNAL_BYTES:
        raise RemoteProtocolError(f"signal of {len(data)} bytes is oversized", "oversized")
    if not data or data[0] != WIRE_VERSION:
        raise RemoteProtocolError("unknown wire version", "malformed")
    try:
        # unpackb takes no max_buffer_size (a TypeError, which made every decode fail);
        # the size is checked above and msgpack bounds lengths by len(data) itself
        fields = msgpack.unpackb(data[1:], raw=False, strict_map_key=True)
    except UNPACK_ERRORS as err:
        raise RemoteProtocolError(f"undecodable signal: {type(err).__name__}") from None
    return _to_signal(fields)


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RemoteProtocolError(f"field {name} must be a finite number")
    return float(value)


def _to_signal(fields: Any) -> Signal:
    if not isinstance(fields, list) or len(fields) != 7:
        raise RemoteProtocolError("signal must be an array of 7 fields")
    sender, kind, seq, emitted, inc, strength, payload = fields
    if not isinstance(sender, str) or not 0 < len(sender) <= MAX_ID_LEN:
        raise RemoteProtocolError("sender must be a short string")
    if not isinstance(kind, str) or kind not in _KINDS:  # a list or map kind is unhashable
        raise RemoteProtocolError(f"unknown kind {kind!r}", "unknown_kind")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**63:
        raise RemoteProtocolError("seq must be a non-negative integer")
    if not isinstance(payload, dict):
        raise RemoteProtocolError("payload must be a map")
    return Signal(
        sender=sender,
        kind=_KINDS[kind],
        seq=seq,
        emitted=_number(emitted, "emitted"),
        incarnation=_number(inc, "incarnation"),
        strength=_number(strength, "strength"),
        payload=payload,
    )
