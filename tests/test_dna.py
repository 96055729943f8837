"""DNA: validation at construction, the summary carried in presence signals, and the
user-written form (from_dict)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aware.dna import DNA, TRAITS
from aware.errors import ValidationError

# --------------------------------------------------------------------------- strategies

trait_values = st.one_of(
    st.floats(min_value=1e-6, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=10**6),
)
short_text = st.text(max_size=12)
dnas = st.builds(
    DNA,
    cpu=trait_values,
    memory_gb=trait_values,
    disk_gb=trait_values,
    labels=st.dictionaries(short_text, short_text, max_size=4),
    zone=short_text,
)

# JSON/YAML-like input as users (or peers) write it: any float, and ints of any size
# (YAML and JSON parse 400-digit integers, which no float can hold).
huge_ints = st.integers(min_value=2**1000, max_value=2**1100).map(lambda i: i * (-1) ** (i % 2))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), huge_ints, st.floats(), st.text(max_size=8)
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)


def near(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Mappings that use the expected keys (sometimes with a stray one) and any values."""
    known = st.fixed_dictionaries({}, optional={k: st.one_of(scalars, json_like) for k in keys})
    stray = st.dictionaries(st.text(max_size=6), json_like, max_size=1)
    return st.one_of(known, st.builds(lambda a, b: {**b, **a}, known, stray))


# --------------------------------------------------------------------------- construction


def test_defaults() -> None:
    dna = DNA()
    assert (dna.cpu, dna.memory_gb, dna.disk_gb, dict(dna.labels), dna.zone) == (
        1.0,
        1.0,
        10.0,
        {},
        "",
    )


@pytest.mark.parametrize("trait", TRAITS)
@pytest.mark.parametrize(
    "value", [0, 0.0, -1, -0.5, math.nan, math.inf, -math.inf, True, False, "4", None, [4]]
)
def test_invalid_trait_names_the_field(trait: str, value: Any) -> None:
    with pytest.raises(ValidationError) as err:
        DNA(**{trait: value})
    assert err.value.field == trait
    assert err.value.reason


@pytest.mark.parametrize(
    ("dna", "name", "value"),
    [
        (DNA(cpu=4), "cpu", 4.0),
        (DNA(memory_gb=0.5), "memory_gb", 0.5),
        (DNA(disk_gb=2000), "disk_gb", 2000.0),
    ],
)
def test_trait_is_a_float(dna: DNA, name: str, value: float) -> None:
    assert dna.trait(name) == value
    assert isinstance(dna.trait(name), float)


@pytest.mark.parametrize(
    ("dna", "expected"),
    [
        (DNA(cpu=1, memory_gb=1), 1.5),  # log2(2) + 0.5 * log2(2)
        (DNA(cpu=3, memory_gb=15), 4.0),  # 2 + 0.5 * 4
        (DNA(cpu=7, memory_gb=3), 4.0),  # 3 + 0.5 * 2: equal fitness, different shape
        (DNA(cpu=15, memory_gb=63), 7.0),  # 4 + 0.5 * 6
        (DNA(cpu=1, memory_gb=1, disk_gb=10_000), 1.5),  # disk plays no part
    ],
)
def test_fitness(dna: DNA, expected: float) -> None:
    assert dna.fitness() == expected


@given(a=dnas, b=dnas)
def test_fitness_grows_with_cpu_and_memory(a: DNA, b: DNA) -> None:
    if a.cpu <= b.cpu and a.memory_gb <= b.memory_gb:
        assert a.fitness() <= b.fitness()


# --------------------------------------------------------------------------- summary


@pytest.mark.parametrize(
    ("dna", "summary"),
    [
        (DNA(), {"c": 1.0, "m": 1.0, "d": 10.0}),  # empty labels and zone are left out
        (DNA(cpu=2, memory_gb=4, disk_gb=50, zone="eu-1"), {"c": 2, "m": 4, "d": 50, "z": "eu-1"}),
        (DNA(labels={"ssd": "yes"}), {"c": 1.0, "m": 1.0, "d": 10.0, "l": {"ssd": "yes"}}),
    ],
)
def test_summary(dna: DNA, summary: dict[str, Any]) -> None:
    assert dna.summary() == summary


@given(dna=dnas)
def test_summary_round_trip(dna: DNA) -> None:
    assert DNA.from_summary(dna.summary()) == dna


def test_from_summary_fills_defaults() -> None:
    assert DNA.from_summary({}) == DNA()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([1, 2, 3], "dna"),
        ("c=1", "dna"),
        (None, "dna"),
        ({"l": ["ssd"]}, "dna.labels"),
        ({"l": {"ssd": 1}}, "dna.labels"),
        ({"l": {"ssd": None}}, "dna.labels"),
        ({"z": 3}, "dna.zone"),
        ({"z": None}, "dna.zone"),
    ],
)
def test_from_summary_errors(data: Any, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        DNA.from_summary(data)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("data", "trait"),
    [({"c": "x"}, "cpu"), ({"m": -1}, "memory_gb"), ({"d": 0}, "disk_gb"), ({"c": None}, "cpu")],
)
def test_from_summary_bad_trait_names_the_trait(data: dict[str, Any], trait: str) -> None:
    with pytest.raises(ValidationError) as err:
        DNA.from_summary(data)
    assert err.value.field.split(".")[-1] == trait


@given(data=st.one_of(json_like, near(["c", "m", "d", "l", "z"])))
def test_from_summary_fuzz(data: Any) -> None:
    """A peer's summary either yields valid DNA or a ValidationError, nothing else."""
    try:
        dna = DNA.from_summary(data)
    except ValidationError as err:
        assert err.reason
    else:
        assert all(math.isfinite(dna.trait(t)) and dna.trait(t) > 0 for t in TRAITS)


# --------------------------------------------------------------------------- from_dict


def test_from_dict() -> None:
    dna = DNA.from_dict(
        {"cpu": 8, "memory_gb": 32, "disk_gb": 500, "labels": {"rack": 7}, "zone": "eu-2"}
    )
    assert dna == DNA(cpu=8, memory_gb=32, disk_gb=500, labels={"rack": "7"}, zone="eu-2")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, DNA()),
        ({"labels": None, "zone": None}, DNA()),  # YAML's empty values mean "none"
        ({"zone": 3}, DNA(zone="3")),
    ],
)
def test_from_dict_defaults(data: dict[str, Any], expected: DNA) -> None:
    assert DNA.from_dict(data) == expected


@pytest.mark.parametrize(
    ("data", "where", "field"),
    [
        ([], "dna", "dna"),
        ("cpu: 4", "dna", "dna"),
        ({"gpu": 1}, "dna", "dna.gpu"),
        ({"cpu": 1, "gpus": 1, "arch": "x"}, "dna", "dna.arch"),  # first unknown, sorted
        ({"labels": ["a"]}, "dna", "dna.labels"),
        ({"cpu": -1}, "dna", "dna.cpu"),
        ({"memory_gb": "lots"}, "dna", "dna.memory_gb"),
        ({"disk_gb": math.inf}, "dna", "dna.disk_gb"),
        ({"cpu": True}, "dna", "dna.cpu"),
        ({"cpu": 10**400}, "dna", "dna.cpu"),  # too large for a float: not a finite number
        ({"cpu": 0}, "nodes.n1", "nodes.n1.cpu"),  # the caller's path is kept
        ({"size": 0}, "nodes.n1", "nodes.n1.size"),
        (None, "nodes.n1", "nodes.n1"),
    ],
)
def test_from_dict_errors(data: Any, where: str, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        DNA.from_dict(data, where)
    assert err.value.field == field
    assert err.value.reason
    assert str(err.value) == f"{field}: {err.value.reason}"


@given(data=st.one_of(json_like, near([*TRAITS, "labels", "zone"])))
def test_from_dict_fuzz(data: Any) -> None:
    """User-written DNA either validates or raises ValidationError, nothing else."""
    try:
        dna = DNA.from_dict(data)
    except ValidationError as err:
        assert err.field == "dna" or err.field.startswith("dna.")
    else:
        assert all(math.isfinite(dna.trait(t)) and dna.trait(t) > 0 for t in TRAITS)


@given(dna=dnas)
def test_from_dict_round_trip(dna: DNA) -> None:
    data = {
        "cpu": dna.cpu,
        "memory_gb": dna.memory_gb,
        "disk_gb": dna.disk_gb,
        "labels": dict(dna.labels),
        "zone": dna.zone,
    }
    assert DNA.from_dict(data) == dna
