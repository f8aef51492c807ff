"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

The daemon runs in a background thread under its own `trio.run` (one per test module),
and the tests are plain synchronous functions using Playwright's sync API in the main
thread: pytest-trio's trio_mode only wraps async tests, so nothing here shares an event
loop with anything else. Skips (with the reason) where Chromium or Playwright is absent.
"""

from __future__ import annotations

import functools
import os
import shutil
import textwrap
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import trio

from runner.config import EnvironmentSettings, load_settings
from runner.daemon.serve import DaemonAddress, serve

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright

CHROMIUM = os.environ.get("STAX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

WORKFLOWS = {
    "live.yml": """
        name: Live
        on: [push, workflow_dispatch]
        jobs:
          first:
            runs-on: ubuntu-latest
            steps:
              - name: Count
                run: for i in $(seq 1 8); do echo "tick $i"; sleep 0.25; done
          second:
            needs: first
            runs-on: ubuntu-latest
            steps:
              - name: Finish
                run: echo "second done"
    """,
    "gated.yml": """
        name: Gated
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo built
          deploy:
            needs: build
            runs-on: ubuntu-latest
            environment: production
            steps:
              - run: echo deployed
    """,
    "slow.yml": """
        name: Slow
        on: push
        jobs:
          wait:
            runs-on: ubuntu-latest
            steps:
              - name: Sleep
                run: |
                  echo started
                  sleep 60
    """,
    "trickle.yml": """
        name: Trickle
        on: push
        jobs:
          emit:
            runs-on: ubuntu-latest
            steps:
              - name: Lines
                run: for i in $(seq 1 25); do echo "line $i"; sleep 0.08; done
    """,
    "big.yml": """
        name: Big
        on: push
        jobs:
          big:
            runs-on: ubuntu-latest
            steps:
              - name: Hundred thousand lines
                run: seq 1 100000
    """,
    "fancy.yml": """
        name: Fancy
        on:
          push:
          workflow_dispatch:
            inputs:
              greeting:
                description: What to say
                type: choice
                options: [hello, howdy]
                default: hello
                required: true
        jobs:
          build:
            runs-on: ubuntu-latest
            outputs:
              version: ${{ steps.v.outputs.version }}
            steps:
              - uses: actions/checkout@v4
              - id: v
                name: Colours and groups
                run: |
                  echo "::group::Install dependencies"
                  echo "resolving"
                  echo "installed 42 packages"
                  echo "::endgroup::"
                  printf '\\033[32mgreen ok\\033[0m \\033[1;31mbold red\\033[0m\\n'
                  echo "::warning file=src/app.py,line=3::Deprecated call"
                  echo "::error file=src/app.py,line=10,col=5::Type mismatch"
                  echo "version=1.4.2" >> "$GITHUB_OUTPUT"
                  {
                    echo "## Build report"
                    echo ""
                    echo "| check | result |"
                    echo "| --- | --- |"
                    echo "| lint | **ok** |"
                    echo ""
                    echo "<script>window.__pwned = 1</script><img src=x onerror=window.__pwned=1>"
                  } >> "$GITHUB_STEP_SUMMARY"
          test:
            needs: build
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python: ["3.11", "3.12", "3.13"]
            steps:
              - run: echo "testing ${{ matrix.python }} with ${{ needs.build.outputs.version }}"
          release:
            needs: test
            runs-on: ubuntu-latest
            steps:
              - run: echo "released ${{ inputs.greeting }}"
    """,
    "artifacts.yml": """
        name: Artifacts
        on: push
        jobs:
          package:
            runs-on: ubuntu-latest
            steps:
              - name: Upload a report (the artifact service's own API, as upload-artifact calls it)
                run: |
                  python3 - <<'PY'
                  import hashlib, io, json, os, urllib.request, zipfile
                  def call(method, body):
                      request = urllib.request.Request(
                          os.environ["ACTIONS_RESULTS_URL"]
                          + "twirp/github.actions.results.api.v1.ArtifactService/" + method,
                          data=json.dumps(body).encode(),
                          headers={"Authorization": "Bearer " + os.environ["ACTIONS_RUNTIME_TOKEN"],
                                   "Content-Type": "application/json"})
                      return json.load(urllib.request.urlopen(request))
                  buffer = io.BytesIO()
                  with zipfile.ZipFile(buffer, "w") as archive:
                      archive.writestr("report.txt", "all green\\n")
                  data = buffer.getvalue()
                  ids = {"workflow_run_backend_id": os.environ["GITHUB_RUN_ID"],
                         "workflow_job_run_backend_id": "package"}
                  url = call("CreateArtifact", {**ids, "name": "test-report"})["signed_upload_url"]
                  urllib.request.urlopen(urllib.request.Request(
                      url, data=data, method="PUT", headers={"x-ms-blob-type": "BlockBlob",
                      "x-ms-blob-content-type": "application/zip"}))
                  digest = "sha256:" + hashlib.sha256(data).hexdigest()
                  print(call("FinalizeArtifact", {**ids, "name": "test-report", "hash": digest}))
                  PY
    """,
    "broken.yml": """
        on: push
        jobs:
          x:
            runs-on: ubuntu-latest
            steps:
              - run: echo hi
                bogus: 1
    """,
}


class ThreadDaemon:
    """A real daemon (Hypercorn on an ephemeral loopback port) in a thread of its own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "stax.toml").write_text("port = 0\nstep_kill_grace_seconds = 1\n")
        workflows = root / "workflows"
        workflows.mkdir()
        for name, text in WORKFLOWS.items():
            (workflows / name).write_text(textwrap.dedent(text))
        self.settings = load_settings(start=root).with_overrides(
            environments={"production": EnvironmentSettings(approval=True)}
        )
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._address: DaemonAddress | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._shutdown: trio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="stax-daemon", daemon=True)

    @property
    def address(self) -> DaemonAddress:
        assert self._address is not None
        return self._address

    @property
    def url(self) -> str:
        return self.address.url

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(20):
            raise RuntimeError("the daemon did not start in 20 s")
        if self._error is not None:
            raise RuntimeError("the daemon failed to start") from self._error

    def _run(self) -> None:
        try:
            trio.run(self._main)
        except BaseException as exc:  # reported to the test thread
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._token = trio.lowlevel.current_trio_token()
        self._shutdown = trio.Event()
        async with trio.open_nursery() as nursery:
            self._address = await nursery.start(
                functools.partial(serve, self.settings, shutdown=self._shutdown)
            )
            self._ready.set()

    def stop(self) -> None:
        if self._token is not None and self._shutdown is not None and self._thread.is_alive():
            trio.from_thread.run_sync(self._shutdown.set, trio_token=self._token)
        self._thread.join(20)

    def restart(self) -> None:
        """Stop gracefully, then serve the same data dir on the same port again."""
        port = self.address.port
        self.stop()
        self.settings = self.settings.with_overrides(port=port)
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stax-daemon", daemon=True)
        self.start()

    # -- helpers for tests --------------------------------------------------------
    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.address.token}"}

    def start_run(self, workflow: str, **body: Any) -> str:
        response = httpx.post(
            f"{self.url}/api/runs", json={"workflow": workflow, **body}, headers=self.auth
        )
        assert response.status_code == 201, response.text
        run_id: str = response.json()["runId"]
        return run_id

    def run(self, run_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/api/runs/{run_id}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def wait_for(self, run_id: str, predicate: Callable[[dict[str, Any]], bool]) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if predicate(self.run(run_id)):
                return
            time.sleep(0.05)
        raise AssertionError(f"run {run_id} never got there: {self.run(run_id)}")

    def login_url(self) -> str:
        return self.address.login_url()


def chromium_executable(playwright: Playwright) -> str | None:
    """Debian's Chromium (or $STAX_CHROMIUM), one on PATH, else Playwright's own
    (`python -m playwright install chromium`, as workflows/ci.yml does on GitHub)."""
    for candidate in (CHROMIUM, shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    bundled = playwright.chromium.executable_path
    return bundled if Path(bundled).exists() else None


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed — browser tests skipped")
    manager = sync_playwright()
    instance = manager.start()
    try:
        yield instance
    finally:
        manager.__exit__(None, None, None)


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    executable = chromium_executable(playwright_instance)
    if executable is None:
        pytest.skip(
            f"no Chromium: none at {CHROMIUM}, none on PATH, and not Playwright's own "
            "(apt-get install chromium, or python -m playwright install chromium)"
        )
    browser = playwright_instance.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadDaemon]:
    server = ThreadDaemon(tmp_path_factory.mktemp("dashboard"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


class PageProblems:
    """Script errors and failed requests a page met: a test fails on any of them."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[str] = []
        self.requests: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("console", self._console)
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "response",
            lambda response: (
                self.problems.append(f"{response.status} from {response.url}")
                if response.status >= 500
                else None
            ),
        )

    def _console(self, message: ConsoleMessage) -> None:
        # The browser logs each 4xx it meets; a test that wants one checks it itself. It
        # also reports the CSP blocking a style attribute in summary HTML that the
        # sanitizer is parsing (in an inert document, which shares the page's CSP)
        # before it drops the attribute: the policy working, not a fault.
        if message.type == "error" and not message.text.startswith(
            ("Failed to load resource", "Applying inline style violates")
        ):
            self.problems.append(f"console {message.type}: {message.text}")

    def check(self) -> None:
        foreign = [
            url
            for url in self.requests
            if not url.startswith(self.origin) and not url.startswith("data:")
        ]
        assert not foreign, f"requests outside the daemon: {foreign}"
        assert not self.problems, "\n".join(self.problems)


def _context(browser: Browser, **options: Any) -> BrowserContext:
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def signed_in(browser: Browser, daemon: ThreadDaemon) -> Iterator[Page]:
    """A page whose browser has used a one-time login link (it may mutate)."""
    context = _context(browser)
    page = context.new_page()
    problems = PageProblems(daemon.url)
    problems.watch(page)
    page.goto(daemon.login_url())
    page.get_by_text("Signed in").wait_for()
    try:
        yield page
        problems.check()
    finally:
        context.close()


@pytest.fixture
def anonymous(browser: Browser, daemon: ThreadDaemon) -> Iterator[Page]:
    """A page of a browser that has not signed in (read-only)."""
    context = _context(browser)
    page = context.new_page()
    problems = PageProblems(daemon.url)
    problems.watch(page)
    try:
        yield page
        problems.check()
    finally:
        context.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = _context(browser, **options)
        contexts.append(context)
        return context

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
