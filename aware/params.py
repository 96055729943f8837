"""Policy parameters: one validated dataclass, with named profiles.

Every tunable number of the colony lives here, each default with the reason for it.
The profiles are starting points; ``with_overrides`` builds a variant from a mapping
(as written in a scenario file) and validates it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aware.errors import ParamsError
from aware.signals import time_to_fall


@dataclass(frozen=True, slots=True)
class PolicyParams:
    """Timing and threshold parameters of the colony (seconds, per-second rates)."""

    # --- the queen's pheromone
    queen_beat: float = 0.1  # 10 Hz: a lost beat at 1% loss costs 0.1 s of margin, not more
    queen_half_life: float = 0.1  # level halves per missed beat, so absence reads as decay
    queen_threshold: float = 0.125  # below 1/8 = three beats missed -> queen deemed absent
    # --- queen self-selection (response threshold on a growing stimulus)
    select_tick: float = 0.02  # how often a queenless node rolls its response-threshold dice
    stimulus_rate: float = 1.0  # stimulus units gained per second without a sensed queen
    theta_queen: float = 0.03  # threshold of the fittest node: it self-selects in ~1-2 ticks
    theta_growth: float = 2.0  # each rank of lesser fitness doubles the threshold
    response_exponent: float = 2.0  # n in s^n / (s^n + theta^n), as in Bonabeau et al. 1996
    candidate_phase: float = 0.03  # ~30 LAN round trips for rival candidates to hear each other
    candidate_hold: float = 0.1  # a sensed candidate inhibits others for this long
    discovery_window: float = 0.3  # a new node listens this long before it may self-select
    handover_copies: int = 3  # a leaving queen repeats its handover; 3 copies at 1% loss ~ 1e-6
    # --- liveness
    holder_beat: float = 0.4  # role holders beat fast so a lost holder is replaced in < 2 s
    idle_beat: float = 1.0  # idle nodes beat at least this slowly ...
    presence_budget: float = 12.0  # ... or slower: a node hears at most ~this many idle beats/s
    expiry_beats: float = 4.0  # a peer expires after 4 of its own intervals: ~1e-8 at 1% loss
    # --- work roles (response thresholds with reinforcement, Theraulaz et al. 1998)
    role_tick: float = 0.05  # how often a node reconsiders roles while demand is unmet
    role_stimulus_rate: float = 2.0  # role stimulus gained per second of unmet demand
    theta_role: float = 0.05  # threshold of the best-ranked idle node for a role
    learn_rate: float = 0.01  # experience gained per second while doing a role (xi)
    forget_rate: float = 0.002  # experience lost per second while not doing it (phi)
    # --- the spec
    spec_beat: float = 10.0  # every holder re-emits the spec at least this slowly ...
    spec_budget: float = 2.0  # ... or slower: a node hears ~this many spec copies per second
    spec_repair_window: float = 0.1  # a stale peer is repaired after a random delay up to this

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ParamsError(f.name, f"must be a number, got {value!r}")
            if not math.isfinite(float(min(value, 1e300))) or value <= 0 or value > 1e9:
                raise ParamsError(f.name, f"must be a positive number up to 1e9, got {value!r}")
        if not 0 < self.queen_threshold < 1:
            raise ParamsError("queen_threshold", "must lie strictly between 0 and 1")
        if self.theta_growth < 1:
            raise ParamsError("theta_growth", "must be >= 1 (thresholds grow with rank)")
        if self.candidate_hold < self.candidate_phase:
            raise ParamsError("candidate_hold", "must be >= candidate_phase")
        if self.expiry_beats < 1.5:
            raise ParamsError(
                "expiry_beats", "must be >= 1.5 (a peer needs a missed beat of slack)"
            )
        if int(self.handover_copies) != self.handover_copies:
            raise ParamsError("handover_copies", "must be an integer")

    @property
    def queen_timeout(self) -> float:
        """Seconds after the last beat at which the queen's level falls below threshold."""
        return time_to_fall(1.0, self.queen_threshold, self.queen_half_life)

    def idle_interval(self, colony_size: int) -> float:
        """Beat interval of an idle node in a colony of ``colony_size`` nodes."""
        ideal = colony_size / self.presence_budget
        # round up to a "nice" step (1, 2, 5, 10, 20, 50 ... s) so that the advertised
        # interval stays put while the colony's size drifts by a node or two
        step = 1.0
        while step < ideal:
            step = step * 2.5 if str(step).startswith("2") else step * 2.0
        return max(self.idle_beat, step)

    def spec_interval(self, colony_size: int) -> float:
        """Mean re-emission interval of the spec by each holder."""
        return max(self.spec_beat, colony_size / self.spec_budget)

    def with_overrides(self, overrides: Mapping[str, Any]) -> PolicyParams:
        """A copy with ``overrides`` applied; unknown names raise ParamsError."""
        names = {f.name for f in dataclasses.fields(self)}
        for key in overrides:
            if key not in names:
                raise ParamsError(key, "unknown policy parameter")
        return dataclasses.replace(self, **dict(overrides))

    def to_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


LAN = PolicyParams()
"""Local networks: ~1 ms latency, rare loss. Failover in ~0.3-0.4 s."""

WAN = PolicyParams(
    queen_beat=0.5,  # 2 Hz keeps traffic low over slow links
    queen_half_life=0.5,  # absence after 1.5 s: several 100 ms RTTs of slack
    select_tick=0.1,  # dice rolled at the pace the network can carry the answer
    stimulus_rate=0.2,  # the fittest node self-selects after ~0.3 s, not at once
    candidate_phase=0.4,  # rivals 100-200 ms apart must hear each other
    candidate_hold=1.0,  # inhibition lasts beyond a slow candidate phase
    discovery_window=2.0,  # give slow links time to report peers
    holder_beat=1.0,  # holders replaced in ~5 s
    idle_beat=5.0,  # idle presence is cheap background traffic
    role_tick=0.25,  # role decisions at WAN pace
    role_stimulus_rate=0.5,  # slower stimulus, fewer races across slow links
    spec_beat=30.0,  # specs change rarely; repair handles the stale
    spec_repair_window=1.0,  # spread repairs over a WAN round trip or ten
)
"""Wide-area links: 50-200 ms latency, bursts of loss. Failover in ~2 s."""

LOSSY = dataclasses.replace(
    LAN,
    candidate_phase=0.12,  # a candidate outlasts one queen beat: 4x fewer false queens in
    candidate_hold=0.12,  # bursts of 30% loss (experiments/results/tradeoff.json) for ~0.1 s
)
"""LANs with bursts of loss (busy Wi-Fi, congested uplinks): failover ~0.43 s."""

PROFILES: dict[str, PolicyParams] = {"LAN": LAN, "LOSSY": LOSSY, "WAN": WAN}


def profile(name: str) -> PolicyParams:
    """A named profile (case-insensitive)."""
    try:
        return PROFILES[name.upper()]
    except (KeyError, AttributeError):
        known = ", ".join(PROFILES)
        raise ParamsError("profile", f"unknown profile {name!r} (known: {known})") from None
