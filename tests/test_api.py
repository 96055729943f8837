"""The operator API and CLI against real daemons on loopback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from daemons import ROOT, Colony

PROM_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]\w*="[^"]*",?)*\})? -?[0-9.e+]+$')


@pytest.fixture(scope="module")
def colony(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Colony]:
    c = Colony(tmp_path_factory.mktemp("api"))
    for name in ("a", "b", "c"):
        c.start(name)
    c.wait(
        lambda: (
            c.one_queen() is not None
            and all(
                (v := d.colony()) is not None and len(v["nodes"]) == 3 for d in c.daemons.values()
            )
        ),
        timeout=20,
    )
    try:
        yield c
    finally:
        c.stop()


def url(c: Colony, name: str, path: str) -> str:
    return f"http://127.0.0.1:{c.daemons[name].api}{path}"


def auth(c: Colony) -> dict[str, str]:
    return {"Authorization": f"Bearer {c.token_value}"}


def cli(
    c: Colony, name: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aware_cli.main", *args, "--api", url(c, name, "")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
    )


def test_reads_answer_from_each_nodes_view(colony: Colony) -> None:
    nodes = httpx.get(url(colony, "a", "/v1/nodes")).json()
    assert {n["id"] for n in nodes} == {"a", "b", "c"}
    one = httpx.get(url(colony, "a", "/v1/nodes/b")).json()
    assert one["id"] == "b" and set(one) >= {"addr", "role", "state", "last_seen_s", "dna"}
    r = httpx.get(url(colony, "a", "/v1/nodes/nobody"))
    assert r.status_code == 404 and "error" in r.json()
    assert httpx.get(url(colony, "a", "/healthz")).json()["ok"] is True


def test_spec_writes_need_the_token_and_a_valid_spec(colony: Colony) -> None:
    body = "name: t\nroles: {web: {count: 1}}\n"
    r = httpx.put(url(colony, "b", "/v1/spec"), content=body)
    assert r.status_code == 401 and "error" in r.json()
    r = httpx.put(
        url(colony, "b", "/v1/spec"),
        content=body,
        headers={"Authorization": "Bearer wrong-token-000000"},
    )
    assert r.status_code == 401
    r = httpx.put(
        url(colony, "b", "/v1/spec"), content="roles: {web: {count: -1}}", headers=auth(colony)
    )
    assert r.status_code == 422 and r.json()["field"] == "roles.web.count"
    r = httpx.put(url(colony, "b", "/v1/spec"), content="{{{", headers=auth(colony))
    assert r.status_code == 422
    r = httpx.put(url(colony, "b", "/v1/spec"), content=body, headers=auth(colony))
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    assert r.json()["spread"]["of"] == 3
    colony.wait(
        lambda: all(
            httpx.get(url(colony, n, "/v1/spec")).json().get("version") == version for n in "abc"
        ),
        timeout=10,
    )
    spec = httpx.get(url(colony, "c", "/v1/spec")).json()
    assert spec["spec"]["roles"]["web"]["count"] == 1 and spec["spread"]["holders"] >= 1


def test_events_stream_reports_a_spec_change(colony: Colony) -> None:
    got: list[dict[str, Any]] = []

    def follow() -> None:
        with httpx.stream("GET", url(colony, "c", "/v1/events"), timeout=10) as r:
            for line in r.iter_lines():
                if line.startswith("data:"):
                    got.append(json.loads(line[5:]))
                    if any(e.get("event") == "AdoptSpec" for e in got):
                        return

    t = threading.Thread(target=follow, daemon=True)
    t.start()
    colony.wait(lambda: len(got) >= 1, timeout=5)  # the hello
    r = httpx.put(
        url(colony, "a", "/v1/spec"), content="roles: {web: {count: 2}}", headers=auth(colony)
    )
    assert r.status_code == 200
    t.join(timeout=10)
    assert "queen" in got[0] and any(e.get("event") == "AdoptSpec" for e in got[1:])


def test_metrics_are_prometheus_text(colony: Colony) -> None:
    text = httpx.get(url(colony, "a", "/metrics")).text
    names = set()
    for line in text.splitlines():
        if line.startswith("#"):
            assert line.startswith(("# HELP ", "# TYPE "))
            continue
        assert PROM_LINE.match(line), line
        names.add(line.split("{")[0].split(" ")[0])
    assert {"aware_is_queen", "aware_signals_in_total", "aware_failover_seconds_count"} <= names


def test_the_openapi_document_covers_every_route(colony: Colony) -> None:
    doc = httpx.get(url(colony, "a", "/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    for path in (
        "/v1/colony",
        "/v1/nodes",
        "/v1/nodes/{node_id}",
        "/v1/spec",
        "/v1/queen/handover",
        "/v1/events",
        "/healthz",
        "/metrics",
    ):
        assert path in doc["paths"], path


def test_cli_status_nodes_spec_and_handover(colony: Colony) -> None:
    r = cli(colony, "a", "status")
    assert r.returncode == 0 and "queen" in r.stdout, r.stderr
    r = cli(colony, "a", "nodes", "--json")
    assert {n["id"] for n in json.loads(r.stdout)} == {"a", "b", "c"}
    r = subprocess.run(
        [sys.executable, "-m", "aware_cli.main", "spec", "template", "web"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "frontend" in r.stdout
    spec = colony.tmp / "cli-spec.yaml"
    spec.write_text("name: from-cli\nroles: {web: {count: 1}, db: {count: 1}}\n")
    r = cli(
        colony, "b", "spec", "apply", "-f", str(spec), "--yes", "--token-file", str(colony.token)
    )
    assert r.returncode == 0 and "accepted as version" in r.stdout, r.stderr
    assert "+" in r.stdout  # the diff
    r = cli(colony, "b", "spec", "apply", "-f", str(spec), "--yes")
    assert r.returncode == 2 and "token" in r.stderr
    queen = colony.one_queen()
    other = next(n for n in "abc" if n != queen)
    r = cli(colony, other, "handover", "--token-file", str(colony.token))
    assert r.returncode == 0, r.stderr
    colony.wait(lambda: colony.one_queen() not in (None, queen), timeout=5)


def test_cli_says_clearly_when_no_node_answers(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "aware_cli.main", "status", "--api", "http://127.0.0.1:9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "no AWARE node answers" in r.stderr and "Traceback" not in r.stderr


def test_delete_forwards_a_leave_request(colony: Colony) -> None:
    queen = colony.one_queen()
    leaver = next(n for n in "abc" if n != queen)
    asker = next(n for n in "abc" if n not in (queen, leaver))
    r = httpx.delete(url(colony, asker, f"/v1/nodes/{leaver}"), headers=auth(colony))
    assert r.status_code == 202, r.text
    assert colony.daemons[leaver].proc.wait(timeout=10) == 0


def test_read_auth_protects_reads(tmp_path: Path) -> None:
    c = Colony(tmp_path)
    try:
        d = c.start("solo", "--api-read-auth")
        c.wait(lambda: d.colony() is not None or _healthy(c, "solo"), timeout=15)
        r = httpx.get(url(c, "solo", "/v1/colony"))
        assert r.status_code == 401 and "error" in r.json()
        ok = httpx.get(url(c, "solo", "/v1/colony"), headers=auth(c))
        assert ok.status_code == 200 and ok.json()["node"] == "solo"
        assert d.running
    finally:
        c.stop()


def _healthy(c: Colony, name: str) -> bool:
    try:
        return httpx.get(url(c, name, "/healthz"), timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_cli_events_follows_the_stream(colony: Colony) -> None:
    name = next(n for n, d in colony.daemons.items() if d.running and d.colony() is not None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aware_cli.main",
            "events",
            "--json",
            "--api",
            url(colony, name, ""),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        import time

        time.sleep(1.5)
        r = httpx.put(
            url(colony, name, "/v1/spec"), content="roles: {web: {count: 3}}", headers=auth(colony)
        )
        assert r.status_code == 200
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert json.loads(line)["event"]
    finally:
        proc.kill()
        proc.wait(timeout=5)
