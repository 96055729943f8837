"""Random fault schedules ("chaos"), drawn deterministically from a seed.

A scenario with a ``chaos:`` block gets ``faults`` random faults spread over its
duration, followed by a repair (heal, resume all, restart all) and ``quiet`` seconds
in which the invariants must hold again. The same seed draws the same schedule, so
``aware sim run FILE --seed N`` replays any schedule that broke an invariant.
"""

from __future__ import annotations

import random

from aware.spec import parse_spec
from sim.scenario import Fault, Scenario, Target

# (action, weight): crashes of the queen are the commonest fault, as in the brief
_KINDS = [
    ("crash_queen", 4),
    ("crash_random", 3),
    ("freeze_queen", 2),
    ("freeze_random", 1),
    ("partition", 2),
    ("loss", 2),
    ("join", 1),
    ("restart", 2),
    ("spec", 1),
    ("shutdown", 1),
]


def chaos_faults(scenario: Scenario) -> list[Fault]:
    """The random schedule for ``scenario`` (empty when it has no chaos block)."""
    cfg = scenario.chaos
    if cfg is None or cfg.faults == 0:
        return []
    rng = random.Random(f"aware-chaos:{scenario.seed}")
    end = max(scenario.duration - cfg.quiet, 1.0)
    start = min(5.0, end / 2)
    times = sorted(rng.uniform(start, end) for _ in range(cfg.faults))
    names = [k for k, _ in _KINDS]
    weights = [w for _, w in _KINDS]
    out: list[Fault] = []
    for t in times:
        out.extend(_draw(rng, rng.choices(names, weights)[0], t, end, scenario))
    out.append(Fault(end, "heal"))
    out.append(Fault(end, "resume", Target("all")))
    out.append(Fault(end, "restart", Target("all")))
    return sorted(out, key=lambda f: f.at)


def _draw(rng: random.Random, kind: str, t: float, end: float, sc: Scenario) -> list[Fault]:
    small = max(1, sc.nodes.count // 10)
    if kind == "crash_queen":
        return [Fault(t, "crash", Target("queen"))]
    if kind == "crash_random":
        return [Fault(t, "crash", Target("random", count=rng.randint(1, small)))]
    if kind in ("freeze_queen", "freeze_random"):
        target = Target("queen") if kind == "freeze_queen" else Target("random", count=1)
        back = min(t + rng.uniform(0.5, 20.0), end)
        # resume everything frozen: a schedule never leaves a node stopped for good
        return [Fault(t, "freeze", target), Fault(back, "resume", Target("all"))]
    if kind == "partition":
        a = round(rng.uniform(0.2, 0.8), 2)
        back = min(t + rng.uniform(2.0, 40.0), end)
        return [Fault(t, "partition", groups=(a, round(1.0 - a, 2))), Fault(back, "heal")]
    if kind == "loss":
        return [
            Fault(
                t,
                "loss",
                rate=round(rng.uniform(0.1, 0.5), 2),
                duration=round(rng.uniform(0.5, 5.0), 2),
            )
        ]
    if kind == "join":
        return [Fault(t, "join", count=rng.randint(1, small))]
    if kind == "restart":
        return [Fault(t, "restart", Target("random", count=rng.randint(1, small)))]
    if kind == "spec":
        spec = parse_spec(
            {
                "template": "web",
                "roles": {
                    "frontend": {"count": rng.randint(1, 4)},
                    "middleware": {"count": rng.randint(1, 3)},
                },
            }
        )
        return [Fault(t, "spec", Target("random", count=1), spec=spec)]
    return [Fault(t, "shutdown", Target("random", count=1))]
