"""The dashboard in a real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemons import ROOT, Colony

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pw = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def colony(tmp_path: Path) -> Iterator[Colony]:
    c = Colony(tmp_path)
    try:
        for name in ("a", "b", "c", "d"):
            c.start(name, "--spec", "web")
        c.wait(
            lambda: (
                c.one_queen() is not None
                and all(
                    (v := d.colony()) is not None and len(v["nodes"]) == 4
                    for d in c.daemons.values()
                )
            ),
            timeout=20,
        )
        yield c
    finally:
        c.stop()


def test_dashboard_shows_the_colony_follows_a_failover_and_applies_a_spec(colony: Colony) -> None:
    queen = colony.one_queen()
    assert queen is not None
    viewer = next(n for n in colony.daemons if n != queen)
    url = f"http://127.0.0.1:{colony.daemons[viewer].api}/"
    ARTIFACTS.mkdir(exist_ok=True)
    with pw.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(url)
            page.wait_for_function(
                "document.querySelectorAll('#graph g.node').length === 4", timeout=10_000
            )
            assert page.text_content("#queen") == queen
            assert page.locator(f'#graph g.node.queen[data-node="{queen}"]').count() == 1
            page.wait_for_function(
                "document.querySelectorAll('#roles tbody tr').length === 4", timeout=10_000
            )
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"))

            colony.daemons[queen].signal(signal.SIGKILL)
            page.wait_for_function(
                f"(q => q && q !== '{queen}' && q !== '(none)')"
                "(document.getElementById('queen').textContent)",
                timeout=2_000,
            )
            page.wait_for_selector("#events li.failover", timeout=2_000)

            editor = page.locator("#spec")
            editor.fill('{"name": "edited", "roles": {"cache": {"count": -1}}}')
            page.wait_for_selector("#check.bad", timeout=5_000)
            assert "roles.cache.count" in page.text_content("#check")
            editor.fill('{"name": "edited", "roles": {"cache": {"count": 2}}}')
            page.fill("#token", colony.token_value)
            page.click("#apply")
            page.wait_for_selector('#roles tbody tr[data-role="cache"]', timeout=5_000)
            assert "edited" in page.text_content("#specname")
            page.screenshot(path=str(ARTIFACTS / "dashboard-after-failover.png"))
        finally:
            browser.close()
