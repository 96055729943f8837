"""Policy parameters: profiles validate, overrides are checked field by field."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aware.errors import ParamsError, ValidationError
from aware.params import LAN, PROFILES, WAN, PolicyParams, profile

FIELDS = [f.name for f in dataclasses.fields(PolicyParams)]


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_validates_when_rebuilt(name: str) -> None:
    params = PROFILES[name]
    rebuilt = PolicyParams(**params.to_dict())
    assert rebuilt == params
    assert set(params.to_dict()) == set(FIELDS)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("LAN", LAN), ("lan", LAN), ("Wan", WAN), ("WAN", WAN)],
)
def test_profile_lookup_is_case_insensitive(name: str, expected: PolicyParams) -> None:
    assert profile(name) is expected


@pytest.mark.parametrize("name", ["SIM", "", "l a n", None, 3])
def test_unknown_profile(name: Any) -> None:
    with pytest.raises(ParamsError) as err:
        profile(name)
    assert err.value.field == "profile"
    assert "unknown profile" in err.value.reason


@pytest.mark.parametrize(
    ("half_life", "threshold", "expected"),
    [
        (0.1, 0.125, 0.3),  # three 0.1 s half-lives down to 1/8 (LAN-like)
        (0.5, 0.125, 1.5),  # three 0.5 s half-lives (WAN-like)
        (1.0, 0.5, 1.0),  # one half-life
        (0.2, 0.25, 0.4),
        (0.1, 0.1, 0.1 * math.log2(10)),
    ],
)
def test_queen_timeout(half_life: float, threshold: float, expected: float) -> None:
    params = PolicyParams(queen_half_life=half_life, queen_threshold=threshold)
    assert params.queen_timeout == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_queen_timeout_follows_its_fields(name: str) -> None:
    p = PROFILES[name]
    expected = p.queen_half_life * math.log2(1 / p.queen_threshold)
    assert p.queen_timeout == pytest.approx(expected, rel=1e-12)
    assert p.queen_timeout > p.queen_beat  # a single lost beat never deposes the queen


def test_wan_is_slower_than_lan() -> None:
    assert WAN.queen_timeout > LAN.queen_timeout
    assert WAN.queen_beat > LAN.queen_beat
    assert WAN.discovery_window > LAN.discovery_window


BUDGETED = PolicyParams(idle_beat=1.0, presence_budget=20.0, spec_beat=10.0, spec_budget=2.0)


@pytest.mark.parametrize(
    ("size", "idle", "spec"),
    [
        (1, 1.0, 10.0),  # small colonies use the floor intervals
        (20, 1.0, 10.0),
        (40, 2.0, 20.0),  # 40 nodes / 20 idle beats/s; 40 / 2 spec copies/s
        (1000, 50.0, 500.0),
    ],
)
def test_intervals_scale_with_colony_size(size: int, idle: float, spec: float) -> None:
    assert BUDGETED.idle_interval(size) == pytest.approx(idle)
    assert BUDGETED.spec_interval(size) == pytest.approx(spec)


@pytest.mark.parametrize("params", [LAN, WAN], ids=["LAN", "WAN"])
@given(size=st.integers(min_value=1, max_value=100_000))
def test_intervals_keep_the_budgets(params: PolicyParams, size: int) -> None:
    idle, spec = params.idle_interval(size), params.spec_interval(size)
    assert idle >= params.idle_beat
    assert spec >= params.spec_beat
    assert size / idle <= params.presence_budget * (1 + 1e-9)  # idle beats heard per second
    assert size / spec <= params.spec_budget * (1 + 1e-9)


# --------------------------------------------------------------------------- overrides


def test_with_overrides_returns_a_validated_copy() -> None:
    before = LAN.to_dict()
    fast = LAN.with_overrides({"queen_beat": 0.05, "queen_half_life": 0.05})
    assert fast.queen_beat == 0.05
    assert fast.queen_half_life == 0.05
    assert fast.queen_timeout == pytest.approx(LAN.queen_timeout * 0.05 / LAN.queen_half_life)
    assert LAN.to_dict() == before  # the profile itself is untouched
    restored = dataclasses.replace(
        fast, queen_beat=LAN.queen_beat, queen_half_life=LAN.queen_half_life
    )
    assert restored == LAN


def test_with_no_overrides_is_equal() -> None:
    assert LAN.with_overrides({}) == LAN
    assert WAN.with_overrides({}) == WAN


@pytest.mark.parametrize("name", ["queen_beats", "QUEEN_BEAT", "colour", "", "to_dict"])
def test_with_overrides_rejects_unknown_names(name: str) -> None:
    with pytest.raises(ParamsError) as err:
        LAN.with_overrides({name: 1.0})
    assert err.value.field == name
    assert "unknown" in err.value.reason


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"queen_beat": 0}, "queen_beat"),
        ({"queen_beat": -0.1}, "queen_beat"),
        ({"queen_beat": math.nan}, "queen_beat"),
        ({"queen_beat": math.inf}, "queen_beat"),
        ({"queen_beat": "fast"}, "queen_beat"),
        ({"queen_beat": None}, "queen_beat"),
        ({"queen_beat": True}, "queen_beat"),  # a bool is not a number here
        ({"theta_role": [0.1]}, "theta_role"),
        ({"queen_threshold": 1.0}, "queen_threshold"),
        ({"queen_threshold": 1.5}, "queen_threshold"),
        ({"theta_growth": 0.5}, "theta_growth"),
        ({"candidate_phase": LAN.candidate_hold * 2}, "candidate_hold"),  # hold covers phase
        ({"candidate_hold": LAN.candidate_phase / 2}, "candidate_hold"),
        ({"expiry_beats": 1.0}, "expiry_beats"),
        ({"handover_copies": 2.5}, "handover_copies"),
    ],
)
def test_with_overrides_rejects_bad_values(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamsError) as err:
        LAN.with_overrides(overrides)
    assert err.value.field == field
    assert err.value.reason
    assert str(err.value).startswith(f"{field}: ")
    assert isinstance(err.value, ValidationError)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    "overrides",
    [
        {"handover_copies": 5},
        {"handover_copies": 5.0},
        {"theta_growth": 1},  # growth of exactly one is allowed
        {"expiry_beats": 1.5},
        {"candidate_hold": LAN.candidate_phase},  # equal to candidate_phase
    ],
)
def test_with_overrides_accepts_boundary_values(overrides: dict[str, Any]) -> None:
    params = LAN.with_overrides(overrides)
    for key, value in overrides.items():
        assert getattr(params, key) == value


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
)


@given(overrides=st.dictionaries(st.sampled_from(FIELDS), values, max_size=4))
def test_with_overrides_either_validates_or_names_the_field(overrides: dict[str, Any]) -> None:
    try:
        params = LAN.with_overrides(overrides)
    except ParamsError as err:
        assert err.field in FIELDS
        assert err.reason
    else:
        assert all(math.isfinite(v) and v > 0 for v in params.to_dict().values())
        assert params.queen_timeout > 0


def test_with_overrides_rejects_huge_integer() -> None:
    """A scenario file may hold an int no float can represent: ParamsError, not Overflow."""
    with pytest.raises(ParamsError) as err:
        LAN.with_overrides({"queen_beat": 10**400})
    assert err.value.field == "queen_beat"
