"""The wire format: encode/decode round trips, and decode as a parser of hostile bytes
that may only ever return a Signal or raise RemoteProtocolError."""

from __future__ import annotations

import math
from typing import Any

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aware.dna import DNA
from aware.errors import RemoteProtocolError
from aware.signals import Kind, Signal
from aware.spec import VersionedSpec, template
from aware.wire import MAX_ID_LEN, MAX_SIGNAL_BYTES, WIRE_VERSION, decode, encode

# --------------------------------------------------------------------------- strategies

finite = st.floats(allow_nan=False, allow_infinity=False)
payload_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**64 - 1),
        finite,
        st.text(max_size=10),
        st.binary(max_size=10),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=6), inner, max_size=4),
    ),
    max_leaves=12,
)
signals = st.builds(
    Signal,
    sender=st.text(min_size=1, max_size=MAX_ID_LEN),
    kind=st.sampled_from(Kind),
    seq=st.integers(min_value=0, max_value=2**63 - 1),
    emitted=finite,
    incarnation=finite,
    strength=finite,
    payload=st.dictionaries(st.text(max_size=6), payload_values, max_size=4),
)

# Anything msgpack can carry: keys that strict_map_key refuses, NaN, ext types, deep nests.
msgpack_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(),
    st.floats(width=32),
    st.text(max_size=10),
    st.binary(max_size=10),
    st.builds(msgpack.ExtType, st.integers(min_value=0, max_value=127), st.binary(max_size=12)),
    st.builds(
        msgpack.Timestamp,
        st.integers(min_value=0, max_value=2**34 - 1),
        st.integers(min_value=0, max_value=999_999_999),
    ),
)
msgpack_keys = st.one_of(
    st.text(max_size=6),
    st.binary(max_size=6),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
)
msgpack_values = st.recursive(
    msgpack_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=8),
        st.dictionaries(msgpack_keys, inner, max_size=4),
    ),
    max_leaves=20,
)
kind_values = st.one_of(st.sampled_from([k.value for k in Kind]), msgpack_values)
# seven-field arrays, each field valid or not, to reach every check in _to_signal
signal_shaped = st.tuples(
    st.one_of(st.text(max_size=MAX_ID_LEN + 2), msgpack_values),
    kind_values,
    st.one_of(st.integers(min_value=0, max_value=2**63 - 1), msgpack_values),
    st.one_of(finite, msgpack_values),
    st.one_of(finite, msgpack_values),
    st.one_of(finite, msgpack_values),
    st.one_of(st.dictionaries(st.text(max_size=4), msgpack_values, max_size=3), msgpack_values),
).map(list)
structures = st.one_of(
    msgpack_values,
    signal_shaped,
    st.lists(msgpack_values, min_size=6, max_size=8),
)


def pack(value: Any) -> bytes:
    """``value`` as a versioned wire message, built by hand around msgpack."""
    return bytes((WIRE_VERSION,)) + msgpack.packb(value, use_bin_type=True)


def check_decode(data: bytes) -> None:
    """decode's contract: a Signal with sane fields, or RemoteProtocolError."""
    try:
        sig = decode(data)
    except RemoteProtocolError as err:
        assert err.reason
        assert err.counter in {"malformed", "oversized", "unknown_kind"}
    else:
        assert isinstance(sig, Signal)
        assert isinstance(sig.sender, str)
        assert 0 < len(sig.sender) <= MAX_ID_LEN
        assert isinstance(sig.kind, Kind)
        assert 0 <= sig.seq < 2**63
        assert all(math.isfinite(x) for x in (sig.emitted, sig.incarnation, sig.strength))
        assert isinstance(sig.payload, dict)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("kind", list(Kind))
def test_round_trip_every_kind(kind: Kind) -> None:
    sig = Signal("node-1", kind, 7, 1234.5, incarnation=99.0, strength=0.5, payload={"a": [1]})
    data = encode(sig)
    assert data[0] == WIRE_VERSION
    assert decode(data) == sig


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"dna": DNA(cpu=4, memory_gb=16, labels={"ssd": "yes"}, zone="eu-1").summary()},
        {"role": "database", "exp": 0.35},
        {"spec": VersionedSpec(template("web"), 3, 17.25, "n1").to_payload()},
        {"blob": b"\x00\xff", "nested": {"x": [None, True, -1, 2**64 - 1]}},
    ],
)
def test_round_trip_payloads(payload: dict[str, Any]) -> None:
    sig = Signal("n1", Kind.PRESENCE, 0, 0.0, payload=payload)
    assert decode(encode(sig)).payload == payload


def test_round_trip_spec_and_dna_inside_payloads() -> None:
    vs = VersionedSpec(template("web"), 3, 17.25, "n1")
    dna = DNA(cpu=4, memory_gb=16, zone="eu-1")
    sig = Signal("n1", Kind.SPEC, 1, 2.0, payload={"spec": vs.to_payload(), "dna": dna.summary()})
    back = decode(encode(sig))
    assert VersionedSpec.from_payload(back.payload["spec"]) == vs
    assert DNA.from_summary(back.payload["dna"]) == dna


@given(sig=signals)
def test_round_trip(sig: Signal) -> None:
    assert decode(encode(sig)) == sig


def test_ints_decode_as_floats_for_float_fields() -> None:
    data = pack(["n1", "queen", 3, 10, 0, 1, {}])
    sig = decode(data)
    assert (sig.emitted, sig.incarnation, sig.strength) == (10.0, 0.0, 1.0)
    assert all(isinstance(x, float) for x in (sig.emitted, sig.incarnation, sig.strength))


# --------------------------------------------------------------------------- rejections

GOOD = ["n1", "presence", 1, 1.0, 0.0, 1.0, {}]


def with_field(index: int, value: Any) -> list[Any]:
    fields = list(GOOD)
    fields[index] = value
    return fields


@pytest.mark.parametrize(
    ("data", "counter"),
    [
        (b"", "malformed"),
        (b"\x00", "malformed"),  # wrong version
        (bytes((WIRE_VERSION + 1,)) + msgpack.packb(GOOD), "malformed"),
        (bytes((WIRE_VERSION,)), "malformed"),  # version, no body
        (bytes((WIRE_VERSION,)) + b"\xc1", "malformed"),  # reserved msgpack byte
        (bytes((WIRE_VERSION,)) + b"\x97\xa2n1", "malformed"),  # truncated array
        (pack(GOOD) + b"\x00", "malformed"),  # trailing bytes
        (pack({"sender": "n1"}), "malformed"),
        (pack(GOOD[:6]), "malformed"),
        (pack([*GOOD, 0]), "malformed"),
        (pack(with_field(0, "")), "malformed"),
        (pack(with_field(0, "x" * (MAX_ID_LEN + 1))), "malformed"),
        (pack(with_field(0, b"n1")), "malformed"),
        (pack(with_field(0, 7)), "malformed"),
        (pack(with_field(1, "gossip")), "unknown_kind"),
        (pack(with_field(1, "PRESENCE")), "unknown_kind"),
        (pack(with_field(1, 1)), "unknown_kind"),
        (pack(with_field(1, ["presence"])), "unknown_kind"),  # unhashable kind
        (pack(with_field(1, {"k": "presence"})), "unknown_kind"),
        (pack(with_field(2, -1)), "malformed"),
        (pack(with_field(2, 2**63)), "malformed"),
        (pack(with_field(2, True)), "malformed"),
        (pack(with_field(2, 1.0)), "malformed"),
        (pack(with_field(3, math.nan)), "malformed"),
        (pack(with_field(4, math.inf)), "malformed"),
        (pack(with_field(5, -math.inf)), "malformed"),
        (pack(with_field(5, "1.0")), "malformed"),
        (pack(with_field(3, True)), "malformed"),
        (pack(with_field(6, [])), "malformed"),
        (pack(with_field(6, None)), "malformed"),
        (pack(with_field(6, {1: "x"})), "malformed"),  # non-string map keys are refused
        (bytes((WIRE_VERSION,)) + b"\xa2\xff\xfe", "malformed"),  # invalid UTF-8
        (bytes((WIRE_VERSION,)) + b"\x91" * 2000 + b"\xc0", "malformed"),  # too deep
        (bytes((WIRE_VERSION,)) + b"\xdd\xff\xff\xff\xff", "malformed"),  # huge array header
        (bytes((WIRE_VERSION,)) + b"\xd6\xff\x00", "malformed"),  # truncated timestamp
        (b"\x01" * (MAX_SIGNAL_BYTES + 1), "oversized"),
    ],
)
def test_decode_rejects(data: bytes, counter: str) -> None:
    with pytest.raises(RemoteProtocolError) as err:
        decode(data)
    assert err.value.counter == counter
    assert err.value.reason


def test_max_size_signal_is_accepted() -> None:
    sig = Signal("n1", Kind.ROLE, 1, 1.0, payload={"pad": ""})
    overhead = len(encode(sig))
    big = Signal("n1", Kind.ROLE, 1, 1.0, payload={"pad": "x" * (MAX_SIGNAL_BYTES - overhead - 4)})
    data = encode(big)
    assert len(data) <= MAX_SIGNAL_BYTES
    assert decode(data) == big


# --------------------------------------------------------------------------- fuzzing


@given(data=st.binary(max_size=256))
def test_decode_fuzz_bytes(data: bytes) -> None:
    check_decode(data)


@given(data=st.binary(max_size=256))
def test_decode_fuzz_versioned_bytes(data: bytes) -> None:
    check_decode(bytes((WIRE_VERSION,)) + data)


@given(value=structures)
def test_decode_fuzz_msgpack_structures(value: Any) -> None:
    check_decode(pack(value))


@given(
    sig=signals,
    cut=st.integers(min_value=0),
    flips=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=4
    ),
)
def test_decode_fuzz_damaged_signals(sig: Signal, cut: int, flips: list[tuple[int, int]]) -> None:
    """Valid encodings truncated or with bytes overwritten."""
    data = bytearray(encode(sig))
    for pos, byte in flips:
        data[pos % len(data)] = byte
    check_decode(bytes(data[: len(data) - cut % len(data)]))
    check_decode(bytes(data))
