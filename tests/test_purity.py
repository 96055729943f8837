"""Architecture rules enforced by parsing the source (no imports are executed).

* ``aware/`` is a pure policy core: no clock, no I/O, no event loop, no global RNG.
* ``sim`` and ``runtime`` are two drivers of the same core; neither imports the other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN_IN_CORE = frozenset(
    {
        "time",
        "asyncio",
        "socket",
        "zmq",
        "simpy",
        "threading",
        "os",
        "subprocess",
        "selectors",
        "urllib",
        "http",
    }
)
ALLOWED_RANDOM_NAMES = frozenset({"Random"})  # the class, for annotations and seeded RNGs


# --------------------------------------------------------------------------- checker


def _module_name(path: Path) -> str:
    """Dotted module name of ``path`` relative to the project root."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(module: str | None, level: int, importer: str, is_package: bool) -> str:
    """Resolve a (possibly relative) from-import to an absolute dotted name."""
    if level == 0:
        return module or ""
    if not importer:  # unknown importer: keep the import visibly relative
        return "." * level + (module or "")
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, *([module] if module else [])])


def imported_modules(
    tree: ast.AST, importer: str = "", is_package: bool = False
) -> Iterator[tuple[int, str]]:
    """Every module an AST imports, as (line, absolute dotted name).

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule).
    Literal ``__import__("x")`` and ``importlib.import_module("x")`` count too.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, importer, is_package)
            yield node.lineno, base
            for alias in node.names:
                if alias.name != "*":
                    sep = "" if base.endswith(".") else "."
                    yield node.lineno, f"{base}{sep}{alias.name}"
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else (func.attr if isinstance(func, ast.Attribute) else "")
            )
            arg = node.args[0]
            if (
                name in ("__import__", "import_module")
                and isinstance(arg, ast.Constant)
                and (isinstance(arg.value, str))
            ):
                yield node.lineno, arg.value


def _top(name: str) -> str:
    return name.split(".")[0]


def core_violations(
    source: str, filename: str = "<string>", importer: str = "", is_package: bool = False
) -> list[str]:
    """Purity violations in ``source``: forbidden imports and uses of the global RNG."""
    tree = ast.parse(source, filename)
    found: list[str] = []
    for line, name in imported_modules(tree, importer, is_package):
        if _top(name) in FORBIDDEN_IN_CORE:
            found.append(f"{filename}:{line}: imports {name}")
    random_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "random":
                    random_aliases.add(alias.asname or "random")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "random":
            for alias in node.names:
                if alias.name not in ALLOWED_RANDOM_NAMES:
                    found.append(f"{filename}:{node.lineno}: imports random.{alias.name}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in random_aliases
            and node.attr not in ALLOWED_RANDOM_NAMES
        ):
            found.append(f"{filename}:{node.lineno}: uses global random.{node.attr}")
    return found


def cross_imports(
    source: str,
    forbidden_top: str,
    importer: str = "",
    is_package: bool = False,
    filename: str = "<string>",
) -> list[str]:
    """Imports of the package ``forbidden_top`` (or its submodules) in ``source``."""
    tree = ast.parse(source, filename)
    return [
        f"{filename}:{line}: imports {name}"
        for line, name in imported_modules(tree, importer, is_package)
        if _top(name) == forbidden_top
    ]


def _py_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


# --------------------------------------------------------------------------- the rules

CORE_FILES = _py_files("aware")


def test_core_files_are_found() -> None:
    names = {p.name for p in CORE_FILES}
    assert {"__init__.py", "node.py", "spec.py", "wire.py"} <= names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_is_pure(path: Path) -> None:
    rel = str(path.relative_to(ROOT))
    found = core_violations(path.read_text(), rel, _module_name(path), path.name == "__init__.py")
    assert found == []


@pytest.mark.parametrize(
    ("package", "other"),
    [("sim", "runtime"), ("runtime", "sim")],
)
def test_drivers_do_not_import_each_other(package: str, other: str) -> None:
    files = _py_files(package)
    assert files, f"{package}/ has no Python files"
    found = [
        v
        for path in files
        for v in cross_imports(
            path.read_text(),
            other,
            _module_name(path),
            path.name == "__init__.py",
            str(path.relative_to(ROOT)),
        )
    ]
    assert found == []


# --------------------------------------------------------------------------- the checker can fail


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import time\n", "imports time"),
        ("import os.path\n", "imports os.path"),
        ("import asyncio as aio\n", "imports asyncio"),
        ("from socket import socket\n", "imports socket"),
        ("from zmq.asyncio import Context\n", "imports zmq.asyncio"),
        ("from urllib.parse import urlparse\n", "imports urllib.parse"),
        ("import http.client\n", "imports http.client"),
        ("def f():\n    import threading\n", "imports threading"),
        ("import subprocess, json\n", "imports subprocess"),
        ("from selectors import DefaultSelector\n", "imports selectors"),
        ("import simpy\n", "imports simpy"),
        ("__import__('time')\n", "imports time"),
        ("import importlib\nimportlib.import_module('os')\n", "imports os"),
        ("import random\nx = random.random()\n", "uses global random.random"),
        ("import random\nrandom.seed(1)\n", "uses global random.seed"),
        ("import random\ny = random.choice([1, 2])\n", "uses global random.choice"),
        ("import random as r\nr.shuffle([])\n", "uses global random.shuffle"),
        ("import random\nf = random.uniform\n", "uses global random.uniform"),
        ("from random import random\n", "imports random.random"),
        ("from random import choice, Random\n", "imports random.choice"),
        ("from random import *\n", "imports random.*"),
    ],
)
def test_checker_reports_violation(source: str, expected: str) -> None:
    found = core_violations(source, "bad.py")
    assert any(expected in v for v in found), found
    assert all(v.startswith("bad.py:") for v in found)


@pytest.mark.parametrize(
    "source",
    [
        "import random\n\ndef f(rng: random.Random) -> float:\n    return rng.random()\n",
        "import random\nrng = random.Random(42)\nx = rng.choice([1, 2])\n",
        "from random import Random\nrng = Random(1)\n",
        "import math\nfrom dataclasses import dataclass\n",
        "from aware.timeline import at\nimport timeit_like\n",  # prefix 'time' is not 'time'
        "from . import os\n",  # a relative sibling named os is ours, not the stdlib
    ],
)
def test_checker_accepts_pure_code(source: str) -> None:
    assert core_violations(source) == []
    assert core_violations(source, importer="aware.mod") == []


@pytest.mark.parametrize(
    ("source", "importer", "is_package", "found"),
    [
        ("import runtime\n", "sim.engine", False, True),
        ("import runtime.transport as t\n", "sim.engine", False, True),
        ("from runtime import zmq_node\n", "sim.engine", False, True),
        ("from runtime.transport import Link\n", "sim", True, True),
        ("from ..runtime import x\n", "sim.sub.mod", False, False),  # sim.runtime, not runtime
        ("from . import runtime\n", "sim", True, False),  # sim.runtime
        ("import aware\nfrom aware.node import Node\n", "sim.engine", False, False),
        ("import runtimes\n", "sim", True, False),
    ],
)
def test_cross_import_checker(source: str, importer: str, is_package: bool, found: bool) -> None:
    assert bool(cross_imports(source, "runtime", importer, is_package)) is found


@pytest.mark.parametrize(
    ("module", "level", "importer", "is_package", "expected"),
    [
        ("x", 0, "sim.a", False, "x"),
        ("x", 1, "sim.a", False, "sim.x"),
        (None, 1, "sim.a", False, "sim"),
        ("x", 1, "sim", True, "sim.x"),
        ("x", 2, "sim.sub.a", False, "sim.x"),
        ("x", 2, "sim.sub", True, "sim.x"),
        ("x", 1, "", False, ".x"),
    ],
)
def test_relative_import_resolution(
    module: str | None, level: int, importer: str, is_package: bool, expected: str
) -> None:
    assert _absolute(module, level, importer, is_package) == expected


def test_every_package_says_what_it_is_for() -> None:
    """Each package's docstring explains its role in the architecture (STYLE.md habit 10)."""
    import importlib

    for name in ("aware", "sim", "runtime", "aware_cli"):
        doc = importlib.import_module(name).__doc__
        assert doc is not None and len(doc.split()) >= 12, name


def test_the_daemon_does_not_load_the_simulator() -> None:
    """`aware node` must stay small: no numpy, simpy, networkx or matplotlib in it."""
    import subprocess
    import sys

    code = (
        "import sys, aware_cli.main, runtime.daemon\n"
        "print(','.join(m for m in ('numpy','simpy','networkx','matplotlib','sim') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
