"""The operator API, served by every daemon on its own event loop (Starlette + uvicorn).

Every node answers reads from its own view. Writes are accepted by any node: a spec is
submitted to the local core and spreads as a spec signal (the answer gives the version
it got and how many peers already advertise it); a handover or a leave request is
carried out locally when it concerns this node and forwarded to the right node's API
otherwise. Writes need ``Authorization: Bearer TOKEN``; reads too with
``--api-read-auth``. The OpenAPI document is at ``/openapi.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from aware.errors import ValidationError
from aware.spec import parse_spec
from runtime import openapi
from runtime.metrics import prometheus_text
from runtime.views import colony_view, node_views, spec_view

if TYPE_CHECKING:
    from runtime.daemon import Daemon

MAX_BODY = 256 * 1024
SSE_PING_S = 15.0
SNAPSHOT_S = 0.5  # the dashboard's refresh when nothing happens


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def authorized(d: Daemon, request: Request) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), d.api_token)


def _read_denied(d: Daemon, request: Request) -> JSONResponse | None:
    if d.cfg.api_read_auth and not authorized(d, request):
        return _error(401, "a valid bearer token is needed to read (--api-read-auth)")
    return None


async def _forward(d: Daemon, node: str, method: str, path: str) -> Response:
    """Carry a write to another node's API (same token), or say why it cannot."""
    import httpx

    peer = d.discovery.peers.get(node) if d.discovery else None
    if peer is None or not peer.api:
        return _error(
            404 if node not in d.core.peers else 502,
            f"node {node!r} is not known here"
            if node not in d.core.peers
            else f"node {node!r} advertises no API to forward to",
        )
    url = f"http://{peer.api}{path}"
    try:
        async with httpx.AsyncClient(timeout=3.0) as client:
            r = await client.request(
                method, url, headers={"Authorization": f"Bearer {d.api_token}"}
            )
    except httpx.HTTPError as err:
        return _error(502, f"cannot reach {node} at {peer.api}: {type(err).__name__}")
    return Response(
        r.content,
        status_code=r.status_code,
        media_type=r.headers.get("content-type", "application/json"),
    )


def build_app(d: Daemon) -> Starlette:
    async def colony(request: Request) -> Response:
        return _read_denied(d, request) or JSONResponse(colony_view(d))

    async def nodes(request: Request) -> Response:
        return _read_denied(d, request) or JSONResponse(node_views(d))

    async def one_node(request: Request) -> Response:
        denied = _read_denied(d, request)
        if denied:
            return denied
        node_id = request.path_params["node_id"]
        for n in node_views(d):
            if n["id"] == node_id:
                return JSONResponse(n)
        return _error(404, f"node {node_id!r} is not known here")

    async def get_spec(request: Request) -> Response:
        denied = _read_denied(d, request)
        if denied:
            return denied
        view = spec_view(d)
        return JSONResponse(view) if view else _error(404, "this node holds no spec yet")

    async def put_spec(request: Request) -> Response:
        dry_run = request.query_params.get("dry_run") in ("1", "true", "yes")
        if not dry_run and not authorized(d, request):
            return _error(401, "a valid bearer token is needed to write")
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error(413, f"spec larger than {MAX_BODY} bytes")
        try:
            data = yaml.safe_load(body.decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            return _error(
                422, "body is not valid YAML or JSON", field="body", reason="not valid YAML or JSON"
            )
        try:
            spec = parse_spec(data)
        except ValidationError as err:
            return _error(422, "invalid spec", field=err.field, reason=err.reason)
        if dry_run:  # validation only (the dashboard's editor checks as you type)
            return JSONResponse(
                {
                    "valid": True,
                    "name": spec.name,
                    "roles": len(spec.roles),
                    "wanted": sum(r.count for r in spec.roles),
                }
            )
        version = d.submit_spec(spec)
        await asyncio.sleep(0.2)  # let the colony's fast beaters report the new version
        view = spec_view(d) or {}
        return JSONResponse(
            {
                "version": version,
                "digest": spec.digest(),
                "name": spec.name,
                "spread": view.get("spread", {}),
            }
        )

    async def delete_node(request: Request) -> Response:
        if not authorized(d, request):
            return _error(401, "a valid bearer token is needed to write")
        node_id = request.path_params["node_id"]
        if node_id == d.core.id:
            d.request_stop()
            return JSONResponse({"node": node_id, "leaving": True}, status_code=202)
        return await _forward(d, node_id, "DELETE", f"/v1/nodes/{node_id}")

    async def handover(request: Request) -> Response:
        if not authorized(d, request):
            return _error(401, "a valid bearer token is needed to write")
        queen = d.core.queen
        if queen is None:
            return _error(409, "no queen is known here right now; try again shortly")
        if queen != d.core.id:
            return await _forward(d, queen, "POST", "/v1/queen/handover")
        heir = d.handover()
        if heir is None:
            return _error(409, "no peer to hand over to")
        return JSONResponse({"from": d.core.id, "to": heir})

    async def events(request: Request) -> Response:
        denied = _read_denied(d, request)
        if denied:
            return denied
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)

        def listener(record: dict[str, Any]) -> None:
            with contextlib.suppress(asyncio.QueueFull):  # a slow reader loses events
                queue.put_nowait(record)

        snapshots = request.query_params.get("snapshots") in ("1", "true", "yes")
        every = SNAPSHOT_S if snapshots else SSE_PING_S

        async def stream() -> AsyncIterator[str]:
            d.listeners.append(listener)
            try:
                yield f"event: hello\ndata: {json.dumps(colony_view(d), default=str)}\n\n"
                while True:
                    try:
                        record = await asyncio.wait_for(queue.get(), every)
                    except TimeoutError:
                        if snapshots:
                            view = json.dumps(colony_view(d), default=str)
                            yield f"event: colony\ndata: {view}\n\n"
                        else:
                            yield ": ping\n\n"
                        continue
                    yield f"data: {json.dumps(record, default=str)}\n\n"
                    if snapshots and queue.empty():  # a change: show it at once
                        yield f"event: colony\ndata: {json.dumps(colony_view(d), default=str)}\n\n"
            finally:
                d.listeners.remove(listener)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "node": d.core.id, "state": d.core.state.value})

    async def metrics(request: Request) -> Response:
        denied = _read_denied(d, request)
        if denied:
            return denied
        return PlainTextResponse(
            prometheus_text(d), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    async def openapi_json(_request: Request) -> JSONResponse:
        return JSONResponse(openapi.document())

    routes: list[Route | Mount] = [
        Route("/v1/colony", colony),
        Route("/v1/nodes", nodes),
        Route("/v1/nodes/{node_id}", one_node, methods=["GET"]),
        Route("/v1/nodes/{node_id}", delete_node, methods=["DELETE"]),
        Route("/v1/spec", get_spec, methods=["GET"]),
        Route("/v1/spec", put_spec, methods=["PUT"]),
        Route("/v1/queen/handover", handover, methods=["POST"]),
        Route("/v1/events", events),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        Route("/openapi.json", openapi_json),
    ]
    static = dashboard_dir()
    if static is not None:
        routes.append(Mount("/", StaticFiles(directory=static, html=True), name="dashboard"))
    return Starlette(routes=routes)


def dashboard_dir() -> str | None:
    from pathlib import Path

    path = Path(__file__).parent / "dashboard"
    return str(path) if (path / "index.html").exists() else None


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
