"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser), axe-core for the
accessibility checks (npm, installed here on first use), screenshots under var/screenshots/."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pasar.config import ROOT

HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}  # the pages are for phones first


def axe_source() -> str:
    if not AXE.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install axe-core for the accessibility checks"
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True, timeout=300)
    return AXE.read_text()


@pytest.fixture(scope="session")
def axe() -> str:
    return axe_source()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright
    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install chromium (make browser does it)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browse(chromium, stack, axe):
    """browse(name) -> a Browser-like helper with its own cookies (one person), closed after the test."""
    from .helpers import Person
    people = []

    def open_person(who: str, javascript: bool = True, token: str | None = None) -> "Person":
        context = chromium.new_context(base_url=stack.url, viewport=PHONE, locale="id-ID", bypass_csp=True,
                                       java_script_enabled=javascript)
        if token:  # someone set up through the API, signed in with the session cookie the pages use
            context.add_cookies([{"name": "pd_at", "value": token, "url": stack.url, "httpOnly": True,
                                  "sameSite": "Lax"}])
        context.set_default_timeout(15_000)
        person = Person(who, context, axe, SCREENSHOTS, var=stack.var)
        people.append(person)
        return person

    yield open_person
    for person in people:
        person.context.close()
