"""Discovery beacons: small authenticated UDP datagrams announcing a node's endpoint.

Wire: one version byte, a 16-byte tag (empty in open mode: then the byte after the
version is 0), then a msgpack map ``{c: colony, n: node id, e: signal endpoint,
a: api address, t: sender clock}``. :func:`parse` never raises anything but
:class:`BeaconError`; callers count and drop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import msgpack

from aware.wire import UNPACK_ERRORS
from runtime.auth import TAG_BYTES, Authenticator

BEACON_VERSION = 1
MAX_BEACON_BYTES = 1024
MAX_FIELD = 200


class BeaconError(ValueError):
    """A datagram that is not a valid beacon of our colony; ``counter`` names why."""

    def __init__(self, reason: str, counter: str = "malformed") -> None:
        super().__init__(reason)
        self.counter = counter


@dataclass(frozen=True, slots=True)
class Beacon:
    colony: str
    node: str
    endpoint: str  # e.g. tcp://10.0.0.2:7701
    api: str  # e.g. 10.0.0.2:7780 ("" when the node serves no API)
    sent: float


def build(beacon: Beacon, auth: Authenticator) -> bytes:
    body = msgpack.packb(
        {
            "c": beacon.colony,
            "n": beacon.node,
            "e": beacon.endpoint,
            "a": beacon.api,
            "t": beacon.sent,
        },
        use_bin_type=True,
    )
    tag = auth.tag(body)
    return bytes((BEACON_VERSION, len(tag))) + tag + body


def parse(data: bytes, auth: Authenticator) -> Beacon:
    if len(data) > MAX_BEACON_BYTES:
        raise BeaconError("oversized beacon", "oversized")
    if len(data) < 2 or data[0] != BEACON_VERSION:
        raise BeaconError("not an AWARE beacon")
    tag_len = data[1]
    if tag_len not in (0, TAG_BYTES) or len(data) < 2 + tag_len:
        raise BeaconError("bad tag length")
    tag, body = data[2 : 2 + tag_len], data[2 + tag_len :]
    if not auth.check(body, tag):
        raise BeaconError("bad authentication tag", "unauthenticated")
    try:
        fields = msgpack.unpackb(body, raw=False, strict_map_key=True)
    except UNPACK_ERRORS:
        raise BeaconError("undecodable beacon") from None
    if not isinstance(fields, dict):
        raise BeaconError("beacon body must be a map")
    colony, node, endpoint, api, sent = (fields.get(k) for k in ("c", "n", "e", "a", "t"))
    for name, value in (("c", colony), ("n", node), ("e", endpoint), ("a", api)):
        if not isinstance(value, str) or len(value) > MAX_FIELD:
            raise BeaconError(f"field {name} must be a short string")
    if not node or not endpoint.startswith("tcp://"):
        raise BeaconError("beacon needs a node id and a tcp:// endpoint")
    if colony != auth.colony:
        raise BeaconError(f"beacon of colony {colony!r}", "other_colony")
    if isinstance(sent, bool) or not isinstance(sent, int | float) or not math.isfinite(sent):
        raise BeaconError("field t must be a finite number")
    return Beacon(colony, node, endpoint, api, float(sent))
