"""``aware node``: run this machine's daemon."""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any


def add_command(sub: Any) -> None:
    p = sub.add_parser(
        "node",
        help="run the node daemon on this machine",
        description="Run the AWARE daemon. Options may also come from a YAML "
        "config file (--config) and AWARE_* environment variables; "
        "the command line wins.",
    )
    p.add_argument("--config", help="YAML file of options (same names, '_' or '-')")
    p.add_argument("--name", help="node id (default: a stable id kept in the state dir)")
    p.add_argument("--colony", help="colony name (default: aware)")
    p.add_argument("--bind", help="address to listen on (default: 0.0.0.0)")
    p.add_argument("--port", type=int, help="signal port (default: 7701; 0 picks one)")
    p.add_argument("--discovery-port", type=int, help="UDP beacon port (default: 7700)")
    p.add_argument(
        "--join",
        action="append",
        metavar="HOST:PORT",
        help="a peer's signal endpoint, for networks without broadcast (repeatable)",
    )
    p.add_argument("--secret-file", help="the colony secret (without it: open lab mode)")
    p.add_argument("--state-dir", help="where the node id and last spec are kept")
    p.add_argument("--label", action="append", metavar="KEY=VALUE", help="a DNA label")
    p.add_argument("--zone", help="failure zone of this machine")
    p.add_argument("--api", help="HOST:PORT of the status API, or 'off'")
    p.add_argument(
        "--api-token-file",
        help="bearer token for API writes (default: generated into the state dir and printed once)",
    )
    p.add_argument(
        "--api-read-auth", action="store_true", help="require the API token for reads too"
    )
    p.add_argument("--profile", help="policy profile: LAN, LOSSY or WAN")
    p.add_argument("--trace", metavar="FILE", help="record the core's events and actions")
    p.add_argument(
        "--spec",
        metavar="TEMPLATE|FILE",
        help="desired cluster to submit at start if the colony holds none yet",
    )
    p.add_argument("--beacon-interval", type=float, help="seconds between beacons")
    p.add_argument(
        "--no-broadcast", action="store_true", help="do not send broadcast beacons (use --join)"
    )
    p.set_defaults(func=cmd_node)


def cmd_node(args: argparse.Namespace) -> int:
    from runtime import config
    from runtime.daemon import Daemon

    cli: dict[str, Any] = {
        "name": args.name,
        "colony": args.colony,
        "bind": args.bind,
        "port": args.port,
        "discovery_port": args.discovery_port,
        "join": args.join,
        "secret_file": args.secret_file,
        "state_dir": args.state_dir,
        "labels": args.label,
        "zone": args.zone,
        "api": args.api,
        "api_token_file": args.api_token_file,
        "api_read_auth": True if args.api_read_auth else None,
        "profile": args.profile,
        "trace": args.trace,
        "spec": args.spec,
        "beacon_interval": args.beacon_interval,
        "broadcast": False if args.no_broadcast else None,
    }
    cfg = config.load(cli, args.config)
    if logging.getLogger().level > logging.INFO:
        logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("aware").setLevel(logging.INFO)
    return asyncio.run(Daemon(cfg).run())
