"""The operator page in a real browser: Debian's headless Chromium driven by Playwright (no browser download).

The screenshots in docs/screenshots/ come from this test (see IVR_SCREENSHOTS_DIR below)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright
from sqlmodel import Session, select

from ivr.settings import Settings
from ivr.store.database import Database
from ivr.store.tables import LabelCorrection
from ivr.web.app import create_app

from .conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
# Screenshots go to a temporary directory; IVR_SCREENSHOTS_DIR=docs/screenshots refreshes the committed ones.
SCREENSHOTS_ENV = "IVR_SCREENSHOTS_DIR"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (scripts/setup.sh installs it: apt-get install chromium)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(settings: Settings, filled: Database) -> Iterator[str]:
    """The page over HTTP on localhost (so the session cookie may not be https-only here)."""
    app = create_app(settings.model_copy(update={"web_secure_cookies": False}), filled)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(served: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1100, "height": 900}, base_url=served)
        finally:
            browser.close()


def _log_in(page: Page, name: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Användarnamn").fill(name)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_page_loads_charts_render_filters_work_and_a_correction_is_stored(
    page: Page, filled: Database, tmp_path: Path
) -> None:
    screenshots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    screenshots.mkdir(parents=True, exist_ok=True)
    page.goto("/login")
    page.screenshot(path=screenshots / "login.png")
    _log_in(page, "admin")
    expect(page.get_by_role("heading", name="Kommunerna i rangordning")).to_be_visible()
    chart = page.locator('figure[data-chart="kommuner"] img')
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    page.screenshot(path=screenshots / "report.png", full_page=True)

    ranking = page.locator("#kommuner table tbody")
    expect(ranking).to_contain_text("alfa")
    page.get_by_label("Kommun").select_option("beta")
    page.get_by_role("button", name="Visa").click()
    expect(page).to_have_url(re.compile(r"tenant=beta"))
    expect(ranking).to_contain_text("beta")
    expect(ranking).not_to_contain_text("alfa")

    page.get_by_role("link", name="Kommentarer").click()
    comment = page.locator(".comment", has_text="bra upplevelse")
    expect(comment.locator("audio")).to_have_count(1)
    comment.locator("summary").click()
    comment.get_by_label("Helhet").select_option("skeptisk")
    comment.get_by_label("Upplevelsen").select_option("skeptisk")
    comment.get_by_role("button", name="Spara rättelse").click()
    corrected = page.locator(".comment", has_text="bra upplevelse")
    expect(corrected.locator(".correction")).to_contain_text("Rättad av admin")
    corrected.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "comments.png", full_page=True)
    with Session(filled.engine) as session:
        (stored,) = session.scalars(select(LabelCorrection)).all()
    assert (stored.sentiment, stored.by_area, stored.corrected_by) == (
        "skeptisk",
        {"upplevelse": "skeptisk"},
        "admin",
    )
