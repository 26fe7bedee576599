"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright's sync API against
pytest-django's live server. Tests marked ``browser`` are skipped when Chromium or Playwright is
missing. Screenshots go to ci-artifacts/screenshots/ (kept by CI)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "ci-artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    try:
        import playwright.sync_api  # noqa: F401
        has_playwright = True
    except ImportError:
        has_playwright = False
    usable = os.path.exists(CHROMIUM) and has_playwright
    for item in items:
        if "browser" in item.keywords and not usable:
            item.add_marker(pytest.mark.skip(reason="needs /usr/bin/chromium and the playwright package"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # The live server runs in a thread of this process; Playwright's sync API needs no event loop
    # of ours, but Django refuses ORM calls from a thread with a running loop, hence this flag.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    pages = []

    def take(page, name: str) -> Path:
        if page not in pages:
            pages.append(page)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    yield take
    # After a failure the last page each context showed is kept too, with its HTML, for the CI log.
    for index, page in enumerate(pages):
        if not page.is_closed():
            page.screenshot(path=str(SCREENSHOTS / f"zz-last-page-{index}.png"), full_page=True)
            (SCREENSHOTS / f"zz-last-page-{index}.html").write_text(page.content(), encoding="utf-8")
