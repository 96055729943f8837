"""Table tests for the threshold arithmetic (aware.thresholds) and signal decay
(aware.signals), plus a few properties that tie the tables together."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aware.signals import level, time_to_fall
from aware.thresholds import (
    EXPERIENCE_LEVELS,
    MAX_RANK_EXPONENT,
    experience,
    experience_level,
    ranked_threshold,
    response_probability,
)

EXACT = 1e-12  # relative tolerance for results that are not exact in binary

pos = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)


# --------------------------------------------------------------------------- response_probability


@pytest.mark.parametrize(
    ("stimulus", "theta", "n", "expected"),
    [
        (0.0, 1.0, 2.0, 0.0),  # no stimulus, no response
        (-1.0, 1.0, 2.0, 0.0),  # negative stimulus is no stimulus
        (-0.0, 0.03, 2.0, 0.0),
        (1.0, 1.0, 2.0, 0.5),  # stimulus at threshold: even odds
        (0.03, 0.03, 2.0, 0.5),
        (2.0, 2.0, 3.0, 0.5),
        (2.0, 1.0, 2.0, 0.8),  # 4 / (4 + 1)
        (1.0, 2.0, 2.0, 0.2),  # 1 / (1 + 4)
        (3.0, 1.0, 1.0, 0.75),  # n = 1: s / (s + theta)
        (1.0, 3.0, 1.0, 0.25),
        (0.06, 0.03, 2.0, 0.8),  # twice the threshold
        (2.0, 1.0, 10.0, 1024 / 1025),  # a steep response curve
        (5.0, 0.0, 2.0, 1.0),  # zero threshold: always respond
    ],
)
def test_response_probability(stimulus: float, theta: float, n: float, expected: float) -> None:
    assert response_probability(stimulus, theta, n) == pytest.approx(expected, rel=EXACT)


def test_response_probability_default_exponent_is_two() -> None:
    assert response_probability(2.0, 1.0) == pytest.approx(0.8, rel=EXACT)


@given(s=pos, t=pos, n=st.sampled_from([1.0, 2.0, 3.0]))
def test_response_probability_is_a_probability_monotone_in_stimulus(
    s: float, t: float, n: float
) -> None:
    p = response_probability(s, t, n)
    assert 0.0 <= p <= 1.0
    assert response_probability(2 * s, t, n) >= p  # more stimulus, never less response
    assert response_probability(s, 2 * t, n) <= p  # higher threshold, never more response


# --------------------------------------------------------------------------- ranked_threshold


@pytest.mark.parametrize(
    ("base", "growth", "rank", "expected"),
    [
        (0.03, 2.0, 0, 0.03),  # the best-ranked node keeps the base threshold
        (0.03, 2.0, 1, 0.06),
        (0.03, 2.0, 3, 0.24),
        (1.0, 3.0, 2, 9.0),
        (0.5, 1.0, 10, 0.5),  # growth 1: rank does not matter
        (0.05, 2.0, -5, 0.05),  # a negative rank is clamped to 0
        (1.0, 2.0, MAX_RANK_EXPONENT, 2.0**60),
        (1.0, 2.0, MAX_RANK_EXPONENT + 1, 2.0**60),  # exponent clamped: no overflow
        (1.0, 2.0, 10_000, 2.0**60),
    ],
)
def test_ranked_threshold(base: float, growth: float, rank: int, expected: float) -> None:
    assert ranked_threshold(base, growth, rank) == pytest.approx(expected, rel=EXACT)


def test_max_rank_exponent_is_sixty() -> None:
    assert MAX_RANK_EXPONENT == 60


@given(rank=st.integers(min_value=-10, max_value=10**6))
def test_ranked_threshold_never_overflows_and_grows_with_rank(rank: int) -> None:
    t = ranked_threshold(0.03, 2.0, rank)
    assert math.isfinite(t)
    assert 0.03 <= t <= 0.03 * 2.0**MAX_RANK_EXPONENT
    assert ranked_threshold(0.03, 2.0, rank + 1) >= t


# --------------------------------------------------------------------------- experience


@pytest.mark.parametrize(
    ("x0", "doing", "dt", "learn", "forget", "expected"),
    [
        (0.0, True, 10.0, 0.01, 0.002, 0.1),  # learn 0.01/s for 10 s
        (0.5, False, 10.0, 0.01, 0.002, 0.48),  # forget 0.002/s for 10 s
        (0.2, True, 30.0, 0.01, 0.002, 0.5),
        (0.95, True, 10.0, 0.01, 0.002, 1.0),  # clamped at 1
        (0.01, False, 10.0, 0.01, 0.002, 0.0),  # clamped at 0
        (0.5, True, 25.0, 0.02, 0.0, 1.0),
        (0.3, True, 0.0, 0.01, 0.002, 0.3),  # no time, no change
        (0.3, True, -5.0, 0.01, 0.002, 0.3),  # negative dt is ignored, not unlearnt
        (0.3, False, -5.0, 0.01, 0.002, 0.3),
        (1.5, True, 0.0, 0.01, 0.002, 1.0),  # out-of-range start is clamped
        (-0.5, False, 0.0, 0.01, 0.002, 0.0),
    ],
)
def test_experience(
    x0: float, doing: bool, dt: float, learn: float, forget: float, expected: float
) -> None:
    assert experience(x0, doing, dt, learn, forget) == pytest.approx(expected, rel=EXACT, abs=0)


# --------------------------------------------------------------------------- experience_level


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (0.0, 0.0),
        (0.099, 0.0),  # rounds down, never up
        (0.1, 0.1),
        (0.26, 0.2),
        (0.34, 0.3),
        (0.5, 0.5),
        (0.999, 0.9),
        (1.0, 1.0),
        (1.7, 1.0),  # clamped
        (-0.3, 0.0),  # clamped
    ],
)
def test_experience_level(x: float, expected: float) -> None:
    assert experience_level(x) == expected


@pytest.mark.parametrize("k", range(EXPERIENCE_LEVELS + 1))
def test_experience_level_keeps_every_step(k: int) -> None:
    """k/20 is a level already; float error must not push it one step down."""
    assert experience_level(k / EXPERIENCE_LEVELS) == k / EXPERIENCE_LEVELS


@given(x=st.floats(min_value=-2.0, max_value=2.0), y=st.floats(min_value=-2.0, max_value=2.0))
def test_experience_level_is_monotone_idempotent_and_below_x(x: float, y: float) -> None:
    lx = experience_level(x)
    assert lx == experience_level(lx)
    assert 0.0 <= lx <= 1.0
    assert lx <= max(x, 0.0)
    assert min(x, 1.0) - lx < 1 / EXPERIENCE_LEVELS
    if x <= y:
        assert lx <= experience_level(y)


# --------------------------------------------------------------------------- signal decay


@pytest.mark.parametrize(
    ("strength", "age", "half_life", "expected"),
    [
        (1.0, 0.0, 0.1, 1.0),  # fresh signal: full strength
        (1.0, -1.0, 0.1, 1.0),  # negative age (clock step) never amplifies
        (1.0, 0.1, 0.1, 0.5),  # one half-life
        (1.0, 0.3, 0.1, 0.125),  # three half-lives: the LAN queen threshold
        (2.0, 1.0, 1.0, 1.0),
        (4.0, 2.0, 1.0, 1.0),
        (0.8, 0.5, 0.5, 0.4),
        (1.0, 10.0, 1.0, 2.0**-10),
        (0.0, 5.0, 1.0, 0.0),
    ],
)
def test_level(strength: float, age: float, half_life: float, expected: float) -> None:
    assert level(strength, age, half_life) == pytest.approx(expected, rel=EXACT, abs=0)


@pytest.mark.parametrize(
    ("strength", "threshold", "half_life", "expected"),
    [
        (1.0, 0.125, 0.1, 0.3),  # LAN queen timeout: three beats
        (1.0, 0.125, 0.5, 1.5),  # WAN queen timeout
        (8.0, 1.0, 1.0, 3.0),
        (1.0, 0.5, 2.0, 2.0),
        (4.0, 0.25, 0.5, 2.0),
        (1.0, 1.0, 0.1, 0.0),  # already at threshold
        (0.5, 1.0, 0.1, 0.0),  # already below threshold
        (1.0, 0.1, 1.0, math.log2(10)),
    ],
)
def test_time_to_fall(strength: float, threshold: float, half_life: float, expected: float) -> None:
    assert time_to_fall(strength, threshold, half_life) == pytest.approx(expected, rel=EXACT, abs=0)


@given(s=pos, th=pos, hl=pos)
def test_level_at_time_to_fall_is_the_threshold(s: float, th: float, hl: float) -> None:
    t = time_to_fall(s, th, hl)
    assert t >= 0.0
    if s > th:
        assert level(s, t, hl) == pytest.approx(th, rel=1e-9)
        assert level(s, t * 0.99, hl) > th * (1 - 1e-9)  # not below threshold earlier
    else:
        assert t == 0.0


@given(s=pos, a=st.floats(min_value=0.0, max_value=100.0), hl=pos)
def test_level_decays_monotonically(s: float, a: float, hl: float) -> None:
    now = level(s, a, hl)
    assert 0.0 <= now <= s
    assert level(s, a + hl, hl) == pytest.approx(now / 2, rel=1e-9, abs=1e-300)
