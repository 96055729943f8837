"""Response-threshold arithmetic (Bonabeau, Theraulaz & Deneubourg 1996) and threshold
reinforcement (Theraulaz, Bonabeau & Deneubourg 1998), as small pure functions."""

from __future__ import annotations

MAX_RANK_EXPONENT = 60  # beyond this rank the probability is effectively zero


def response_probability(stimulus: float, theta: float, n: float = 2.0) -> float:
    """P(respond) = s^n / (s^n + theta^n); zero for a non-positive stimulus."""
    if stimulus <= 0.0:
        return 0.0
    sn = float(stimulus**n)
    return sn / (sn + float(theta**n))


def ranked_threshold(base: float, growth: float, rank: int) -> float:
    """Threshold of the node at ``rank`` (0 = best): ``base * growth ** rank``."""
    return base * growth ** min(max(rank, 0), MAX_RANK_EXPONENT)


def experience(x0: float, doing: bool, dt: float, learn: float, forget: float) -> float:
    """Experience after ``dt`` seconds: grows by ``learn``/s while doing, decays by
    ``forget``/s otherwise, clamped to [0, 1]. Lower thresholds follow higher experience."""
    x = x0 + (learn if doing else -forget) * max(dt, 0.0)
    return min(1.0, max(0.0, x))


EXPERIENCE_LEVELS = 10


def experience_level(x: float) -> float:
    """Experience quantised to 1/10 steps, so every node ranks peers on equal terms
    although each hears their experience at a slightly different moment."""
    return int(min(1.0, max(0.0, x)) * EXPERIENCE_LEVELS) / EXPERIENCE_LEVELS
