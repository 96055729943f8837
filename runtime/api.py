"""The daemon's HTTP status endpoint (Starlette on the daemon's own event loop).

``GET /v1/colony`` answers from this node's own view, in the contract the operator
API builds on: colony, queen, term, nodes (id, addr, role, state, last_seen_s, dna)
and spec (version, roles with want/have/nodes). ``GET /healthz`` says the loop is alive.
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from aware.errors import ValidationError
from aware.spec import parse_spec

if TYPE_CHECKING:
    from runtime.daemon import Daemon


def colony_view(d: Daemon) -> dict[str, Any]:
    core = d.core
    now = d.clock()
    nodes: list[dict[str, Any]] = [
        {
            "id": core.id,
            "addr": d.bus.endpoint,
            "role": core.role,
            "state": core.state.value,
            "last_seen_s": 0.0,
            "dna": {**core.dna.summary(), "l": dict(core.dna.labels)},
            "self": True,
        }
    ]
    for peer in sorted(core.peers.peers.values(), key=lambda p: p.id):
        found = d.discovery.peers.get(peer.id) if d.discovery else None
        nodes.append(
            {
                "id": peer.id,
                "addr": found.endpoint if found else "",
                "role": peer.role,
                "state": "queen"
                if peer.kind == "queen"
                else ("candidate" if peer.kind == "candidate" else "worker"),
                "last_seen_s": round(max(0.0, now - peer.last_seen), 3),
                "dna": peer.dna.summary(),
            }
        )
    spec: dict[str, Any] | None = None
    if core.spec is not None:
        roles = []
        for r in core.spec.spec.roles:
            holders = sorted(core.peers.holders.get(r.name, set()))
            if core.role == r.name:
                holders = sorted([*holders, core.id])
            roles.append({"name": r.name, "want": r.count, "have": len(holders), "nodes": holders})
        spec = {
            "version": core.spec.version,
            "digest": core.spec.digest,
            "name": core.spec.spec.name,
            "roles": roles,
        }
    return {
        "colony": d.cfg.colony,
        "node": core.id,
        "queen": core.queen,
        "term": core.queen_term,
        "open_mode": d.auth.open_mode,
        "nodes": nodes,
        "spec": spec,
        "counters": d.counters(),
    }


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def authorized(d: Daemon, request: Request) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), d.api_token)


def build_app(d: Daemon) -> Starlette:
    async def colony(_request: Request) -> JSONResponse:
        return JSONResponse(colony_view(d))

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "node": d.core.id, "state": d.core.state.value})

    async def put_spec(request: Request) -> JSONResponse:
        """Accept a new desired cluster (YAML or JSON body) on this node; it spreads
        through the colony as a spec signal. The answer gives the version it was given."""
        if not authorized(d, request):
            return _error(401, "a valid bearer token is needed to write")
        body = await request.body()
        if len(body) > 256 * 1024:
            return _error(413, "spec too large")
        try:
            data = yaml.safe_load(body.decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            return _error(422, "body is not valid YAML or JSON", field="body")
        try:
            spec = parse_spec(data)
        except ValidationError as err:
            return _error(422, "invalid spec", field=err.field, reason=err.reason)
        version = d.submit_spec(spec)
        return JSONResponse({"version": version, "digest": spec.digest(), "name": spec.name})

    return Starlette(
        routes=[
            Route("/v1/colony", colony),
            Route("/v1/spec", put_spec, methods=["PUT"]),
            Route("/healthz", healthz),
        ]
    )


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the daemon owns SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # older uvicorn versions
        return


def server(d: Daemon, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        build_app(d), host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    return _Server(config)
