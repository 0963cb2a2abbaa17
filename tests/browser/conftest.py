"""The dashboard in a real browser: Debian's chromium driven by Playwright (no browser
download; `make test` installs chromium first, `make browser`). A missing chromium fails
these tests rather than skipping them. ``AUDIOSHAKE_SCREENSHOTS=DIR`` saves the views
they reach as PNG files (for the docs)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from mock_server.harness import ServedMock

CHROMIUM = Path("/usr/lib/chromium/chromium")  # the binary; /usr/bin/chromium is a script
EXPECT_TIMEOUT_MS = 15_000  # every wait on the page is a condition with this deadline
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


# Module scope, not session: while Playwright's sync API runs, its event loop is the
# running loop of this thread, so asyncio.run() in any other test on the same xdist
# worker would fail ("Already running asyncio in this thread"). pytest tears module
# fixtures down before a test of another module runs.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
    yield browser
    browser.close()


@pytest.fixture
def served() -> Iterator[ServedMock]:
    """The mock on a socket, on a manual clock: only the page (or the test) moves it."""
    with ServedMock(clock="manual") as mock:
        # The first download of an output renders it: slower than httpx's 5 s default
        # on a loaded 2-core runner.
        mock.client.timeout = httpx.Timeout(60)
        yield mock


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"the page threw: {errors}"


def screenshot(page: Page, name: str) -> None:
    """Save the page as ``$AUDIOSHAKE_SCREENSHOTS/<name>.png`` when that is set."""
    folder = os.environ.get("AUDIOSHAKE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
