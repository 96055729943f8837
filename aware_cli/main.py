"""The ``aware`` command: the one place that composes the simulator (and, later, the runtime)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from aware.errors import AwareError, ValidationError
from aware_cli import clientcmd, democmd, nodecmd, simcmd


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aware", description="AWARE: a self-organising cluster, simulated and real."
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sim = sub.add_parser("sim", help="run the colony in the discrete-event simulator")
    simcmd.add_commands(sim)
    nodecmd.add_command(sub)
    democmd.add_command(sub)
    clientcmd.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code: int = args.func(args)
        sys.stdout.flush()  # a closed pipe shows up here rather than at interpreter exit
        return code
    except BrokenPipeError:
        # The reader went away (`aware ... --json | head`): stop quietly. Point stdout at
        # devnull so the final flush at exit cannot fail again (see the Python docs on SIGPIPE).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command killed by the pipe
    except ValidationError as err:
        print(
            f"aware: error: {err.field}: {err.reason}" if err.field else f"aware: error: {err}",
            file=sys.stderr,
        )
        return 2
    except AwareError as err:
        print(f"aware: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("aware: interrupted", file=sys.stderr)
        return 130


def dump_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, separators=(",", ":"), default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())
