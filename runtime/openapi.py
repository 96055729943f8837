"""The OpenAPI 3.1 document of the operator API (served at /openapi.json)."""

from __future__ import annotations

from typing import Any

_ERR = {
    "description": "error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_JSON = {"application/json": {"schema": {"type": "object"}}}


def _op(summary: str, ok: str, write: bool = False, **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {"200": {"description": ok, "content": _JSON}},
    }
    if write:
        op["security"] = [{"bearer": []}]
        op["responses"]["401"] = _ERR
    op.update(extra)
    return op


def document() -> dict[str, Any]:
    node_param = [{"name": "node_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AWARE node API",
            "version": "1",
            "description": "Every node answers reads from its own view; writes are "
            "accepted on any node and spread through the colony.",
        },
        "paths": {
            "/v1/colony": {"get": _op("The colony as this node sees it", "colony view")},
            "/v1/nodes": {"get": _op("Nodes this node knows", "list of nodes")},
            "/v1/nodes/{node_id}": {
                "parameters": node_param,
                "get": _op(
                    "One node",
                    "node",
                    responses={"200": {"description": "node", "content": _JSON}, "404": _ERR},
                ),
                "delete": _op(
                    "Ask a node to leave gracefully (forwarded to it)",
                    "leaving",
                    write=True,
                    responses={
                        "202": {"description": "leaving", "content": _JSON},
                        "401": _ERR,
                        "404": _ERR,
                        "502": _ERR,
                    },
                ),
            },
            "/v1/spec": {
                "get": _op("The spec this node holds, and how far it has spread", "spec"),
                "put": _op(
                    "Submit a new desired cluster (YAML or JSON)",
                    "accepted version",
                    write=True,
                    requestBody={
                        "required": True,
                        "content": {
                            "application/yaml": {"schema": {"type": "string"}},
                            "application/json": {"schema": {"type": "object"}},
                        },
                    },
                    responses={
                        "200": {"description": "accepted", "content": _JSON},
                        "401": _ERR,
                        "413": _ERR,
                        "422": _ERR,
                    },
                ),
            },
            "/v1/queen/handover": {
                "post": _op(
                    "Ask the queen to hand over to her fittest peer (forwarded to the queen)",
                    "who hands over to whom",
                    write=True,
                    responses={
                        "200": {"description": "handed over", "content": _JSON},
                        "401": _ERR,
                        "409": _ERR,
                        "502": _ERR,
                    },
                )
            },
            "/v1/events": {
                "get": {
                    "summary": "Server-Sent Events: queen changes, role "
                    "changes, joins, losses, spec changes",
                    "responses": {
                        "200": {"description": "event stream", "content": {"text/event-stream": {}}}
                    },
                }
            },
            "/healthz": {"get": _op("Liveness of the daemon's loop", "ok")},
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {
                        "200": {"description": "text format 0.0.4", "content": {"text/plain": {}}}
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string"},
                        "field": {"type": "string"},
                        "reason": {"type": "string"},
                    },
                }
            },
        },
    }
