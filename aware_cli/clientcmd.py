"""Operator commands that talk to any node's API: status, nodes, spec, events, handover.

``--api URL`` (or AWARE_API; default http://127.0.0.1:7780) picks the node;
``--token-file`` (or AWARE_TOKEN) gives the bearer token writes need. Human tables by
default, ``--json`` for scripts.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from aware.errors import AwareError, ValidationError

DEFAULT_API = "http://127.0.0.1:7780"


class ApiError(AwareError):
    """The API could not be reached or refused the request."""


def add_commands(sub: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--api", default=None, help=f"node API URL (AWARE_API; {DEFAULT_API})")
    common.add_argument("--token-file", default=None, help="bearer token for writes (AWARE_TOKEN)")
    common.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("status", parents=[common], help="the colony as one node sees it")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("nodes", parents=[common], help="the nodes one node knows")
    p.set_defaults(func=cmd_nodes)
    spec = sub.add_parser("spec", help="show, apply or print cluster specs")
    ssub = spec.add_subparsers(dest="spec_command", metavar="SUBCOMMAND")
    p = ssub.add_parser("show", parents=[common], help="the spec the colony holds")
    p.set_defaults(func=cmd_spec_show)
    p = ssub.add_parser("apply", parents=[common], help="submit a new spec (shows the diff)")
    p.add_argument("-f", "--file", required=True, help="YAML or JSON spec file ('-' for stdin)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_spec_apply)
    p = ssub.add_parser("template", help="print a built-in spec template")
    p.add_argument("name", nargs="?", default="web")
    p.set_defaults(func=cmd_spec_template)
    spec.set_defaults(func=lambda _a: (spec.print_help(), 2)[1])
    p = sub.add_parser("events", parents=[common], help="follow the colony's event stream")
    p.set_defaults(func=cmd_events)
    p = sub.add_parser("handover", parents=[common], help="ask the queen to hand over")
    p.set_defaults(func=cmd_handover)


# ----------------------------------------------------------------------------- transport


def _base(args: argparse.Namespace) -> str:
    return (args.api or os.environ.get("AWARE_API") or DEFAULT_API).rstrip("/")


def _token(args: argparse.Namespace) -> str | None:
    if args.token_file:
        try:
            return Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as err:
            raise ValidationError("--token-file", f"cannot read it: {err.strerror}") from None
    return os.environ.get("AWARE_TOKEN")


def request(
    args: argparse.Namespace, method: str, path: str, body: str | None = None, write: bool = False
) -> Any:
    import httpx

    headers = {}
    if write or _token(args):
        token = _token(args)
        if write and not token:
            raise ApiError("this command writes: give --token-file or set AWARE_TOKEN")
        if token:
            headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/yaml"
    url = _base(args) + path
    try:
        r = httpx.request(method, url, content=body, headers=headers, timeout=5.0)
    except httpx.HTTPError as err:
        raise ApiError(
            f"no AWARE node answers at {_base(args)} ({type(err).__name__}); "
            "is `aware node` running there? Use --api or AWARE_API"
        ) from None
    try:
        data = r.json()
    except ValueError:
        data = {"error": r.text.strip()[:200]}
    if r.status_code >= 400:
        detail = data.get("error", "") if isinstance(data, dict) else str(data)
        if isinstance(data, dict) and data.get("field"):
            detail += f" ({data['field']}: {data.get('reason', '')})"
        raise ApiError(f"{method} {path}: HTTP {r.status_code}: {detail}")
    return data


def _print(args: argparse.Namespace, data: Any, human: str) -> int:
    if args.json:
        json.dump(data, sys.stdout, indent=None, separators=(",", ":"))
        sys.stdout.write("\n")
    else:
        print(human)
    return 0


# ----------------------------------------------------------------------------- commands


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(
        [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
        + [fmt.format(*map(str, r)) for r in rows]
    )


def _roles_table(spec: dict[str, Any] | None) -> str:
    if not spec:
        return "no spec yet (aware spec apply -f FILE)"
    rows = [[r["name"], r["want"], r["have"], ", ".join(r["nodes"]) or "-"] for r in spec["roles"]]
    return f"spec {spec.get('name', '')} v{spec['version']}\n" + _table(
        rows, ["role", "want", "have", "nodes"]
    )


def cmd_status(args: argparse.Namespace) -> int:
    c = request(args, "GET", "/v1/colony")
    short = sum(max(0, r["want"] - r["have"]) for r in (c.get("spec") or {}).get("roles", []))
    human = (
        f"colony {c['colony']}: queen {c['queen'] or '(none)'} (term {c['term']}), "
        f"{len(c['nodes'])} nodes, answered by {c['node']}"
        + (" — OPEN LAB MODE (no secret)" if c.get("open_mode") else "")
        + f"\n{_roles_table(c.get('spec'))}"
        + (f"\n{short} role slot(s) unfilled" if short else "")
    )
    return _print(args, c, human)


def cmd_nodes(args: argparse.Namespace) -> int:
    c = request(args, "GET", "/v1/colony")
    rows = [
        [
            n["id"],
            n["state"],
            n["role"] or "-",
            f"{n['last_seen_s']:.1f}s",
            n["addr"] or "-",
            f"{n['dna'].get('c')} cpu, {n['dna'].get('m')} GB, {n['dna'].get('d')} GB disk",
        ]
        for n in c["nodes"]
    ]
    return _print(args, c["nodes"], _table(rows, ["node", "state", "role", "seen", "addr", "dna"]))


def cmd_spec_show(args: argparse.Namespace) -> int:
    c = request(args, "GET", "/v1/colony")
    return _print(args, c.get("spec"), _roles_table(c.get("spec")))


def cmd_spec_template(args: argparse.Namespace) -> int:
    from aware.spec import TEMPLATES

    if args.name not in TEMPLATES:
        raise ValidationError(
            "name", f"unknown template {args.name!r} (known: {', '.join(TEMPLATES)})"
        )
    print(yaml.safe_dump(TEMPLATES[args.name], sort_keys=False), end="")
    return 0


def _spec_yaml(spec: dict[str, Any] | None) -> list[str]:
    if not spec:
        return []
    doc = {
        "name": spec.get("name", ""),
        "roles": {r["name"]: {"count": r["want"]} for r in spec["roles"]},
    }
    return yaml.safe_dump(doc, sort_keys=False).splitlines()


def cmd_spec_apply(args: argparse.Namespace) -> int:
    from aware.spec import parse_spec

    text = sys.stdin.read() if args.file == "-" else _read(args.file)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ValidationError("--file", "not valid YAML or JSON") from None
    new = parse_spec(data)  # validate locally first: a clear error before any request
    current = request(args, "GET", "/v1/colony").get("spec")
    diff = list(
        difflib.unified_diff(
            _spec_yaml(current),
            _spec_yaml(
                {"name": new.name, "roles": [{"name": r.name, "want": r.count} for r in new.roles]}
            ),
            "colony",
            args.file,
            lineterm="",
        )
    )
    if not args.json:
        print("\n".join(diff) if diff else "(role counts unchanged; requirements may differ)")
    if not args.yes:
        if not sys.stdin.isatty() or args.file == "-":
            raise ValidationError("--yes", "not asking on a non-interactive terminal: add --yes")
        if input("apply this spec? [y/N] ").strip().lower() not in ("y", "yes"):
            print("not applied")
            return 1
    res = request(args, "PUT", "/v1/spec", body=text, write=True)
    return _print(args, res, f"accepted as version {res['version']} ({res['digest']})")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ValidationError("--file", f"cannot read {path}: {err}") from None


def cmd_events(args: argparse.Namespace) -> int:
    import httpx

    url = _base(args) + "/v1/events"
    try:
        with httpx.stream("GET", url, timeout=httpx.Timeout(5.0, read=None)) as r:
            if r.status_code != 200:
                raise ApiError(f"GET /v1/events: HTTP {r.status_code}")
            kind = "message"
            for line in r.iter_lines():
                if line.startswith("event:"):
                    kind = line[6:].strip()
                    continue
                if not line.startswith("data:"):
                    kind = "message" if not line else kind
                    continue
                event = json.loads(line[5:])
                if kind != "message":  # the greeting snapshot
                    if not args.json:
                        print(
                            f"following colony {event.get('colony')} at {event.get('node')}: "
                            f"queen {event.get('queen')}",
                            flush=True,
                        )
                    continue
                if args.json:
                    print(json.dumps(event), flush=True)
                else:
                    detail = ", ".join(
                        f"{k}={v}" for k, v in event.items() if k not in ("t", "event")
                    )
                    print(f"{event.get('t', 0):.3f} {event.get('event')}: {detail}", flush=True)
    except httpx.HTTPError as err:
        raise ApiError(f"no AWARE node answers at {_base(args)} ({type(err).__name__})") from None
    return 0


def cmd_handover(args: argparse.Namespace) -> int:
    res = request(args, "POST", "/v1/queen/handover", write=True)
    return _print(args, res, f"{res.get('from')} hands over to {res.get('to')}")
