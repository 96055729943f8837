"""Cluster specs: parsing user input, the built-in template, requirements, and the
versioned payload exchanged between nodes."""

from __future__ import annotations

import math
from typing import Any

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aware.dna import DNA, TRAITS
from aware.errors import SpecError, ValidationError
from aware.spec import (
    MAX_COUNT,
    MAX_ROLES,
    ClusterSpec,
    Requirements,
    RoleSpec,
    VersionedSpec,
    parse_spec,
    template,
)

# --------------------------------------------------------------------------- strategies

NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-_"
role_names = st.text(alphabet=NAME_ALPHABET, min_size=1, max_size=10)
amounts = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
)
short_text = st.text(max_size=8)


@st.composite
def role_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid role as a user writes it."""
    role: dict[str, Any] = {"count": draw(st.integers(min_value=0, max_value=MAX_COUNT))}
    requires = draw(
        st.fixed_dictionaries(
            {},
            optional={
                **{t: amounts for t in TRAITS},
                "labels": st.dictionaries(short_text, short_text, max_size=3),
                "zones": st.lists(short_text, max_size=3),
            },
        )
    )
    if requires:
        role["requires"] = requires
    if draw(st.booleans()):
        role["prefer"] = draw(st.sampled_from(TRAITS))
    if draw(st.booleans()):
        role["spread"] = draw(st.booleans())
    return role


spec_inputs = st.fixed_dictionaries(
    {"roles": st.dictionaries(role_names, role_inputs(), max_size=6)},
    optional={"name": st.text(min_size=1, max_size=10)},
)
specs = spec_inputs.map(parse_spec)

# JSON-like outside input: ints of any size (JSON and YAML parse 400-digit integers).
huge_ints = st.integers(min_value=2**1000, max_value=2**1100).map(lambda i: i * (-1) ** (i % 2))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), huge_ints, st.floats(), st.text(max_size=8)
)


TEXT_KEYS = st.text(max_size=8)


def json_like(keys: st.SearchStrategy[Any] = TEXT_KEYS) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)
        ),
        max_leaves=16,
    )


def near(keys: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Mappings that use the expected keys (sometimes with a stray one) and any values."""
    known = st.fixed_dictionaries({}, optional={k: values for k in keys})
    stray = st.dictionaries(st.text(max_size=6), values, max_size=1)
    return st.one_of(known, st.builds(lambda a, b: {**b, **a}, known, stray))


any_value = st.one_of(scalars, json_like())
requires_like = near([*TRAITS, "labels", "zones"], any_value)
role_like = st.one_of(
    any_value,
    near(["count", "prefer", "spread"], any_value),
    near(["count", "requires"], st.one_of(any_value, requires_like)),
)
roles_like = st.dictionaries(st.one_of(role_names, short_text), role_like, max_size=4)
spec_like = st.one_of(
    any_value,
    near(["name", "roles", "template"], st.one_of(any_value, roles_like, st.just("web"))),
)
# YAML also gives mappings keys that are not strings (1, true, null, 1.5).
yaml_keys = st.one_of(st.text(max_size=6), st.integers(), st.booleans(), st.none(), st.floats())
yaml_like = json_like(yaml_keys)


# --------------------------------------------------------------------------- the web template


def test_web_template() -> None:
    spec = template("web")
    assert spec.name == "web"
    assert spec.wanted == {"frontend": 2, "middleware": 2, "database": 1, "storage": 1}
    assert [r.name for r in spec.roles] == ["frontend", "middleware", "database", "storage"]
    assert spec.role("frontend") == RoleSpec("frontend", 2, Requirements(cpu=2.0), spread=True)
    assert spec.role("middleware") == RoleSpec(
        "middleware", 2, Requirements(cpu=4.0, memory_gb=8.0)
    )
    assert spec.role("database") == RoleSpec(
        "database", 1, Requirements(memory_gb=16.0, disk_gb=200.0), prefer="memory_gb"
    )
    assert spec.role("storage") == RoleSpec(
        "storage", 1, Requirements(disk_gb=1000.0), prefer="disk_gb"
    )
    assert spec.role("queen") is None


def test_template_is_fresh_and_equal_each_time() -> None:
    assert template("web") == template("web")
    assert template("web").digest() == template("web").digest()
    assert parse_spec({"template": "web"}) == template("web")


@pytest.mark.parametrize("name", ["db", "WEB", ""])
def test_unknown_template(name: str) -> None:
    with pytest.raises(SpecError) as err:
        template(name)
    assert err.value.field == "template"
    assert "web" in err.value.reason  # lists the known ones


def test_template_with_overrides_and_additions() -> None:
    spec = parse_spec(
        {
            "template": "web",
            "name": "shop",
            "roles": {"database": {"count": 3}, "cache": 2, "frontend": {"spread": False}},
        }
    )
    assert spec.name == "shop"
    assert spec.wanted == {"frontend": 2, "middleware": 2, "database": 3, "storage": 1, "cache": 2}
    db = spec.role("database")
    assert db is not None
    assert db.requires == Requirements(memory_gb=16.0, disk_gb=200.0)  # kept from the template
    assert db.prefer == "memory_gb"
    frontend = spec.role("frontend")
    assert frontend is not None
    assert frontend.spread is False
    assert template("web").wanted["database"] == 1  # the template itself is untouched


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"roles": {"a": 3}}, ClusterSpec("custom", (RoleSpec("a", 3),))),
        ({"name": "x", "roles": {"a": {"count": 0}}}, ClusterSpec("x", (RoleSpec("a", 0),))),
        ({"roles": {}}, ClusterSpec("custom", ())),
        ({"roles": None}, ClusterSpec("custom", ())),
        (
            {"roles": {"a-1_b": {"count": 1, "spread": "zones"}}},
            ClusterSpec("custom", (RoleSpec("a-1_b", 1, spread=True),)),
        ),
        (
            {"roles": {"a": {"count": 1, "requires": {"zones": "eu-1", "labels": {"ssd": 1}}}}},
            ClusterSpec(
                "custom",
                (RoleSpec("a", 1, Requirements(labels={"ssd": "1"}, zones=("eu-1",))),),
            ),
        ),
        (
            {"roles": {"a": {"count": 1, "requires": None, "prefer": None}}},
            ClusterSpec("custom", (RoleSpec("a", 1),)),
        ),
        (
            {"roles": {"a": {"count": 2, "requires": {"cpu": 1.5, "disk_gb": 0}}}},
            ClusterSpec("custom", (RoleSpec("a", 2, Requirements(cpu=1.5)),)),
        ),
    ],
)
def test_parse_spec(data: dict[str, Any], expected: ClusterSpec) -> None:
    assert parse_spec(data) == expected


SPEC_ERRORS: list[tuple[Any, str]] = [
    ([], "spec"),
    ("web", "spec"),
    (None, "spec"),
    ({}, "roles"),  # neither roles nor template
    ({"name": "x"}, "roles"),
    ({"rolez": {}}, "rolez"),
    ({"roles": {}, "b": 1, "a": 1}, "a"),  # the first unknown field, sorted
    ({"template": "db"}, "template"),
    ({"template": 3}, "template"),
    ({"template": ["web"]}, "template"),
    ({"name": "", "roles": {}}, "name"),
    ({"name": 5, "roles": {}}, "name"),
    ({"roles": []}, "roles"),
    ({"roles": "web"}, "roles"),
    ({"roles": {f"r{i}": 1 for i in range(MAX_ROLES + 1)}}, "roles"),
    ({"roles": {"Web": 1}}, "roles.Web"),
    ({"roles": {"a b": 1}}, "roles.a b"),
    ({"roles": {"db": "three"}}, "roles.db"),
    ({"roles": {"db": True}}, "roles.db"),
    ({"roles": {"db": [1]}}, "roles.db"),
    ({"roles": {"db": {"count": 1, "size": 3}}}, "roles.db.size"),
    ({"roles": {"db": {}}}, "roles.db.count"),
    ({"roles": {"db": {"count": "1"}}}, "roles.db.count"),
    ({"roles": {"db": {"count": True}}}, "roles.db.count"),
    ({"roles": {"db": {"count": 1.0}}}, "roles.db.count"),
    ({"roles": {"db": {"count": -1}}}, "roles.db.count"),
    ({"roles": {"db": -1}}, "roles.db.count"),
    ({"roles": {"db": {"count": MAX_COUNT + 1}}}, "roles.db.count"),
    ({"roles": {"db": {"count": 1, "prefer": "gpu"}}}, "roles.db.prefer"),
    ({"roles": {"db": {"count": 1, "spread": "yes"}}}, "roles.db.spread"),
    ({"roles": {"db": {"count": 1, "spread": 1}}}, "roles.db.spread"),
    ({"roles": {"db": {"count": 1, "requires": [1]}}}, "roles.db.requires"),
    ({"roles": {"db": {"count": 1, "requires": "big"}}}, "roles.db.requires"),
    ({"roles": {"db": {"count": 1, "requires": {"gpu": 1}}}}, "roles.db.requires.gpu"),
    ({"roles": {"db": {"count": 1, "requires": {"cpu": -1}}}}, "roles.db.requires.cpu"),
    ({"roles": {"db": {"count": 1, "requires": {"cpu": math.nan}}}}, "roles.db.requires.cpu"),
    ({"roles": {"db": {"count": 1, "requires": {"cpu": math.inf}}}}, "roles.db.requires.cpu"),
    ({"roles": {"db": {"count": 1, "requires": {"cpu": 10**400}}}}, "roles.db.requires.cpu"),
    ({"roles": {"db": {"count": 1, "requires": {"cpu": "2"}}}}, "roles.db.requires.cpu"),
    ({"roles": {"db": {"count": 1, "requires": {"cpu": True}}}}, "roles.db.requires.cpu"),
    (
        {"roles": {"db": {"count": 1, "requires": {"memory_gb": None}}}},
        "roles.db.requires.memory_gb",
    ),
    ({"roles": {"db": {"count": 1, "requires": {"disk_gb": [1]}}}}, "roles.db.requires.disk_gb"),
    ({"roles": {"db": {"count": 1, "requires": {"labels": ["a"]}}}}, "roles.db.requires.labels"),
    ({"roles": {"db": {"count": 1, "requires": {"zones": [1]}}}}, "roles.db.requires.zones"),
    ({"roles": {"db": {"count": 1, "requires": {"zones": {"a": 1}}}}}, "roles.db.requires.zones"),
    # errors in template overrides name the role's full path
    ({"template": "web", "roles": {"database": {"count": -1}}}, "roles.database.count"),
    ({"template": "web", "roles": {"database": {"cpus": 4}}}, "roles.database.cpus"),
    (
        {"template": "web", "roles": {"database": {"requires": {"memory_gb": -16}}}},
        "roles.database.requires.memory_gb",
    ),
    ({"template": "web", "roles": {"frontend": "two"}}, "roles.frontend"),
]


@pytest.mark.parametrize(("data", "field"), SPEC_ERRORS)
def test_parse_spec_errors_name_the_field(data: Any, field: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_spec(data)
    assert err.value.field == field
    assert isinstance(err.value.reason, str)
    assert err.value.reason
    assert str(err.value) == f"{field}: {err.value.reason}"
    assert isinstance(err.value, ValidationError)
    assert isinstance(err.value, ValueError)


def test_duplicate_role_names_are_refused() -> None:
    with pytest.raises(SpecError) as err:
        ClusterSpec("x", (RoleSpec("a", 1), RoleSpec("a", 2)))
    assert err.value.field == "roles"


@given(data=st.one_of(spec_like, json_like()))
def test_parse_spec_fuzz_json(data: Any) -> None:
    """Arbitrary JSON-like input: a ClusterSpec or a SpecError naming a field."""
    try:
        spec = parse_spec(data)
    except SpecError as err:
        assert isinstance(err.field, str)
        assert err.reason
        top = err.field.split(".")[0]
        # a dotted path into the input, or the input as a whole, or an unknown top-level key
        assert top in {"spec", "name", "roles", "template"} or err.field in data
    else:
        assert isinstance(spec, ClusterSpec)
        assert parse_spec(spec.to_dict()) == spec


@given(data=st.one_of(yaml_like, st.dictionaries(yaml_keys, roles_like, max_size=3)))
def test_parse_spec_fuzz_yaml_keys(data: Any) -> None:
    """YAML mappings may have int, bool, null or float keys: still only SpecError."""
    for candidate in (
        data,
        {"roles": data},
        {"roles": {"db": data}},
        {"roles": {"db": {"count": 1, "requires": data}}},
    ):
        try:
            parse_spec(candidate)
        except SpecError as err:
            assert isinstance(err.field, str)
            assert err.reason


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"roles": {}, 1: "x", "z": 2}, "1"),
        ({"roles": {"db": {"count": 1, None: 2, "x": 3}}}, "roles.db.None"),
        (
            {"roles": {"db": {"count": 1, "requires": {True: 1, "gpu": 1}}}},
            "roles.db.requires.True",
        ),
        ({"roles": {1: 2}}, "roles.1"),
    ],
)
def test_non_string_keys_from_yaml(data: Any, field: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_spec(data)
    assert err.value.field == field


# --------------------------------------------------------------------------- round trips


@given(spec=specs)
def test_to_dict_round_trip(spec: ClusterSpec) -> None:
    assert parse_spec(spec.to_dict()) == spec
    assert parse_spec(spec.to_dict()).digest() == spec.digest()


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ({"roles": {"a": 1}}, {"roles": {"a": 1}}, True),
        ({"roles": {"a": 1}}, {"roles": {"a": {"count": 1, "requires": {}}}}, True),
        ({"roles": {"a": 1}}, {"roles": {"a": 2}}, False),
        ({"roles": {"a": 1}}, {"roles": {"b": 1}}, False),
        ({"roles": {"a": 1}}, {"name": "other", "roles": {"a": 1}}, False),
        ({"roles": {"a": 1}}, {"roles": {"a": {"count": 1, "spread": True}}}, False),
    ],
)
def test_digest(a: dict[str, Any], b: dict[str, Any], same: bool) -> None:
    da, db = parse_spec(a).digest(), parse_spec(b).digest()
    assert len(da) == 12
    assert int(da, 16) >= 0  # hex
    assert (da == db) is same


# --------------------------------------------------------------------------- requirements


@pytest.mark.parametrize(
    ("req", "dna", "met"),
    [
        (Requirements(), DNA(), True),  # no requirements: anyone qualifies
        (Requirements(cpu=2), DNA(cpu=2), True),  # exactly enough is enough
        (Requirements(cpu=2), DNA(cpu=1.5), False),
        (Requirements(memory_gb=16), DNA(memory_gb=32), True),
        (Requirements(memory_gb=16), DNA(memory_gb=8), False),
        (Requirements(disk_gb=1000), DNA(disk_gb=999.9), False),
        (Requirements(cpu=4, memory_gb=8), DNA(cpu=8, memory_gb=4), False),  # every one counts
        (Requirements(zones=("eu-1", "eu-2")), DNA(zone="eu-2"), True),
        (Requirements(zones=("eu-1",)), DNA(zone="us-1"), False),
        (Requirements(zones=("eu-1",)), DNA(), False),  # no zone is not any zone
        (Requirements(labels={"ssd": "yes"}), DNA(labels={"ssd": "yes", "gpu": "no"}), True),
        (Requirements(labels={"ssd": "yes"}), DNA(labels={"ssd": "no"}), False),
        (Requirements(labels={"ssd": "yes"}), DNA(), False),
        (
            Requirements(cpu=2, memory_gb=16, disk_gb=200, labels={"a": "b"}, zones=("z",)),
            DNA(cpu=2, memory_gb=16, disk_gb=200, labels={"a": "b"}, zone="z"),
            True,
        ),
    ],
)
def test_requirements_met_by(req: Requirements, dna: DNA, met: bool) -> None:
    assert req.met_by(dna) is met


@pytest.mark.parametrize(
    ("role", "dna", "expected"),
    [
        (RoleSpec("db", 1, prefer="memory_gb"), DNA(memory_gb=15), 4.0),  # log2(1 + 15)
        (RoleSpec("st", 1, prefer="disk_gb"), DNA(disk_gb=1023), 10.0),
        (RoleSpec("any", 1), DNA(cpu=3, memory_gb=15), 4.0),  # overall fitness
    ],
)
def test_role_suitability(role: RoleSpec, dna: DNA, expected: float) -> None:
    assert role.suitability(dna) == expected


# --------------------------------------------------------------------------- versioned specs


@given(
    spec=specs,
    version=st.integers(min_value=1, max_value=2**62),
    issued=st.floats(min_value=0, max_value=1e10),
    origin=short_text,
)
def test_payload_round_trip(spec: ClusterSpec, version: int, issued: float, origin: str) -> None:
    vs = VersionedSpec(spec, version, issued, origin)
    assert vs.digest == spec.digest()
    back = VersionedSpec.from_payload(vs.to_payload())
    assert back == vs
    assert back.key == vs.key
    # and through msgpack, as the payload travels on the wire
    wired = msgpack.unpackb(msgpack.packb(vs.to_payload(), use_bin_type=True), raw=False)
    assert VersionedSpec.from_payload(wired) == vs


def test_payload_shape() -> None:
    vs = VersionedSpec(template("web"), 3, 12.5, "n1")
    assert vs.to_payload() == {"v": 3, "t": 12.5, "o": "n1", "spec": template("web").to_dict()}
    assert VersionedSpec.from_payload({**vs.to_payload(), "t": 12}).issued_at == 12.0


ONE = parse_spec({"roles": {"a": 1}})
TWO = parse_spec({"roles": {"a": 2}})
LOW, HIGH = sorted([ONE, TWO], key=lambda s: s.digest())


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        (VersionedSpec(ONE, 1, 100.0, "n1"), VersionedSpec(ONE, 2, 5.0, "n1")),  # version first
        (VersionedSpec(TWO, 1, 100.0, "n1"), VersionedSpec(ONE, 2, 5.0, "n2")),
        (VersionedSpec(ONE, 7, 5.0, "n1"), VersionedSpec(TWO, 7, 6.0, "n2")),  # then issue time
        (VersionedSpec(HIGH, 7, 5.0, "n1"), VersionedSpec(LOW, 7, 5.5, "n2")),
        (VersionedSpec(LOW, 7, 5.0, "n1"), VersionedSpec(HIGH, 7, 5.0, "n2")),  # then digest
    ],
)
def test_versioned_spec_order(older: VersionedSpec, newer: VersionedSpec) -> None:
    assert older.key < newer.key
    assert sorted([newer, older], key=lambda v: v.key) == [older, newer]
    assert max([newer, older], key=lambda v: v.key) is newer


def test_origin_does_not_order_specs() -> None:
    assert VersionedSpec(ONE, 3, 1.0, "n1").key == VersionedSpec(ONE, 3, 1.0, "n9").key


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([1, 2], "spec"),
        (None, "spec"),
        ({"t": 1.0, "o": "n1", "spec": {"roles": {}}}, "spec.v"),
        ({"v": 0, "t": 1.0, "o": "n1", "spec": {"roles": {}}}, "spec.v"),
        ({"v": -3, "t": 1.0, "o": "n1", "spec": {"roles": {}}}, "spec.v"),
        ({"v": True, "t": 1.0, "o": "n1", "spec": {"roles": {}}}, "spec.v"),
        ({"v": 1.0, "t": 1.0, "o": "n1", "spec": {"roles": {}}}, "spec.v"),
        ({"v": "1", "t": 1.0, "o": "n1", "spec": {"roles": {}}}, "spec.v"),
        ({"v": 1, "o": "n1", "spec": {"roles": {}}}, "spec.t"),
        ({"v": 1, "t": "now", "o": "n1", "spec": {"roles": {}}}, "spec.t"),
        ({"v": 1, "t": True, "o": "n1", "spec": {"roles": {}}}, "spec.t"),
        ({"v": 1, "t": math.nan, "o": "n1", "spec": {"roles": {}}}, "spec.t"),
        ({"v": 1, "t": math.inf, "o": "n1", "spec": {"roles": {}}}, "spec.t"),
        ({"v": 1, "t": 10**400, "o": "n1", "spec": {"roles": {}}}, "spec.t"),
        ({"v": 1, "t": 1.0, "spec": {"roles": {}}}, "spec.o"),
        ({"v": 1, "t": 1.0, "o": 7, "spec": {"roles": {}}}, "spec.o"),
        ({"v": 1, "t": 1.0, "o": "n1"}, "spec"),
        ({"v": 1, "t": 1.0, "o": "n1", "spec": {"roles": {"db": -1}}}, "roles.db.count"),
    ],
)
def test_from_payload_errors(payload: Any, field: str) -> None:
    with pytest.raises(SpecError) as err:
        VersionedSpec.from_payload(payload)
    assert err.value.field == field
    assert err.value.reason


payload_like = st.one_of(
    any_value,
    near(["v", "t", "o", "spec"], st.one_of(any_value, spec_like, spec_inputs)),
)


@given(a=payload_like, b=payload_like)
def test_from_payload_fuzz_and_total_order(a: Any, b: Any) -> None:
    """A peer's payload gives a VersionedSpec or a SpecError; accepted ones are totally
    ordered, so every node agrees which of two specs is newer."""
    accepted = []
    for payload in (a, b):
        try:
            accepted.append(VersionedSpec.from_payload(payload))
        except SpecError as err:
            assert err.reason
    for x in accepted:
        for y in accepted:
            assert [x.key < y.key, x.key == y.key, x.key > y.key].count(True) == 1
