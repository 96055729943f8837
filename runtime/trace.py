"""Traces: the events a daemon fed its core and the actions it got back, as JSON lines.

A trace starts with a header (node id, DNA, policy parameters, RNG seed); then one line
per event with the actions it produced. :func:`replay` feeds the recorded events into a
fresh core and reports the first difference: the proof that the daemon runs exactly the
policy the simulator verified.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from aware import actions as A
from aware.dna import DNA
from aware.events import Event, RestoreSpec, Shutdown, SignalReceived, Start, SubmitSpec, Tick
from aware.node import Node
from aware.params import PolicyParams
from aware.signals import Kind, Signal
from aware.spec import VersionedSpec, parse_spec

TRACE_VERSION = 1


def signal_to_json(sig: Signal) -> dict[str, Any]:
    return {
        "sender": sig.sender,
        "kind": sig.kind.value,
        "seq": sig.seq,
        "emitted": sig.emitted,
        "inc": sig.incarnation,
        "strength": sig.strength,
        "payload": sig.payload,
    }


def signal_from_json(d: dict[str, Any]) -> Signal:
    return Signal(
        d["sender"], Kind(d["kind"]), d["seq"], d["emitted"], d["inc"], d["strength"], d["payload"]
    )


def event_to_json(ev: Event) -> dict[str, Any]:
    if isinstance(ev, SignalReceived):
        return {"e": "signal", "now": ev.now, "signal": signal_to_json(ev.signal)}
    if isinstance(ev, SubmitSpec):
        return {"e": "submit", "now": ev.now, "spec": ev.spec.to_dict()}
    if isinstance(ev, RestoreSpec):
        return {"e": "restore", "now": ev.now, "spec": ev.spec.to_payload()}
    name = {Start: "start", Tick: "tick", Shutdown: "shutdown"}[type(ev)]
    return {"e": name, "now": ev.now}


def event_from_json(d: dict[str, Any]) -> Event:
    kind, now = d["e"], d["now"]
    if kind == "signal":
        return SignalReceived(now, signal_from_json(d["signal"]))
    if kind == "submit":
        return SubmitSpec(now, parse_spec(d["spec"]))
    if kind == "restore":
        return RestoreSpec(now, VersionedSpec.from_payload(d["spec"]))
    return {"start": Start, "tick": Tick, "shutdown": Shutdown}[kind](now)


def action_to_json(act: A.Action) -> dict[str, Any]:
    if isinstance(act, A.Emit):
        return {"a": "Emit", "signal": signal_to_json(act.signal)}
    return {"a": type(act).__name__, **dataclasses.asdict(act)}


def _normal(obj: Any) -> Any:
    """JSON round trip: what a recorded value looks like once read back."""
    return json.loads(json.dumps(obj))


class TraceWriter:
    """Appends a daemon's core conversation to a JSON-lines file."""

    def __init__(
        self, path: str | Path, node_id: str, dna: DNA, params: PolicyParams, seed: int
    ) -> None:
        self._f: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - long-lived
        header = {
            "trace": TRACE_VERSION,
            "node": node_id,
            "dna": dna.summary(),
            "labels": dict(dna.labels),
            "zone": dna.zone,
            "params": params.to_dict(),
            "seed": seed,
        }
        self._f.write(json.dumps(header) + "\n")

    def record(self, event: Event, actions: Sequence[A.Action]) -> None:
        line = event_to_json(event)
        line["actions"] = [action_to_json(a) for a in actions]
        self._f.write(json.dumps(line) + "\n")

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        self._f.close()


@dataclasses.dataclass
class ReplayResult:
    events: int
    mismatch: int | None  # index of the first event whose actions differ
    expected: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    got: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def identical(self) -> bool:
        return self.mismatch is None


def read(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return json.loads(lines[0]), [json.loads(x) for x in lines[1:] if x.strip()]


def replay(header: dict[str, Any], records: Iterable[dict[str, Any]]) -> ReplayResult:
    """Feed recorded events to a fresh core; compare its actions with the recorded ones."""
    summary = dict(header["dna"])
    dna = DNA.from_summary(summary)
    params = PolicyParams(**header["params"])
    node = Node(header["node"], dna, params, random.Random(header["seed"]))
    n = 0
    for n, rec in enumerate(records):
        got = _normal([action_to_json(a) for a in node.handle(event_from_json(rec))])
        if got != rec["actions"]:
            return ReplayResult(n + 1, n, rec["actions"], got)
    return ReplayResult(n + 1, None)
