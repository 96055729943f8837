"""Loading, overriding and running scenarios: the entry points for the CLI and notebooks."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from sim.driver import Simulation
from sim.scenario import Scenario, ScenarioError, parse_scenario, read_yaml


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``data[a][b][c] = value`` for ``dotted`` = "a.b.c", creating mappings."""
    keys = dotted.split(".")
    cur: Any = data
    for k in keys[:-1]:
        nxt = cur.get(k)
        if nxt is None:
            nxt = cur[k] = {}
        if not isinstance(nxt, dict):
            raise ScenarioError(dotted, f"cannot set inside {k!r}: it is not a mapping")
        cur = nxt
    cur[keys[-1]] = value


def parse_assignment(text: str) -> tuple[str, Any]:
    """``"nodes.count=50"`` -> ("nodes.count", 50); the value is read as YAML."""
    if "=" not in text:
        raise ScenarioError("--set", f"expected PATH=VALUE, got {text!r}")
    path, raw = text.split("=", 1)
    try:
        return path.strip(), yaml.safe_load(raw)
    except yaml.YAMLError:
        raise ScenarioError(path.strip(), f"value {raw!r} is not valid YAML") from None


read_raw = read_yaml  # the raw mapping of a scenario file, before validation


def build(
    source: str | Path | Mapping[str, Any],
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """A validated scenario from a file or a mapping, with dotted-path overrides."""
    raw = read_raw(source) if isinstance(source, str | Path) else copy.deepcopy(dict(source))
    for path, value in (overrides or {}).items():
        set_path(raw, path, value)
    if seed is not None:
        raw["seed"] = seed
    return parse_scenario(raw)


def run(
    scenario: Scenario, progress: Callable[[float], None] | None = None
) -> tuple[dict[str, Any], Simulation]:
    """Run ``scenario``; returns (summary, simulation) — the latter for plots and traces."""
    sim = Simulation(scenario, progress=progress)
    return sim.run(), sim
