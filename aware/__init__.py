"""AWARE's policy core: the colony's DNA, as pure code.

Signals and their decay, DNA, cluster specs, policy parameters and the node state
machine. Nothing here reads a clock, draws from global randomness or touches the
network: drivers (``sim`` and ``runtime``) pass ``now`` and a seeded RNG in, and
carry the returned actions out. The same code runs in simulation and production.
"""

from aware.dna import DNA
from aware.errors import AwareError, ParamsError, RemoteProtocolError, SpecError, ValidationError
from aware.events import Event, Shutdown, SignalReceived, Start, SubmitSpec, Tick
from aware.node import Node, State
from aware.params import LAN, PROFILES, WAN, PolicyParams, profile
from aware.signals import Kind, Signal, level
from aware.spec import ClusterSpec, RoleSpec, VersionedSpec, parse_spec, template

__all__ = [
    "DNA",
    "LAN",
    "PROFILES",
    "WAN",
    "AwareError",
    "ClusterSpec",
    "Event",
    "Kind",
    "Node",
    "ParamsError",
    "PolicyParams",
    "RemoteProtocolError",
    "RoleSpec",
    "Shutdown",
    "Signal",
    "SignalReceived",
    "SpecError",
    "Start",
    "State",
    "SubmitSpec",
    "Tick",
    "ValidationError",
    "VersionedSpec",
    "level",
    "parse_spec",
    "profile",
    "template",
]
