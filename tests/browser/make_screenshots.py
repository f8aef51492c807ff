"""Screenshots of the dashboard for the docs (run by hand, not a test):

    python -m tests.browser.make_screenshots [--out docs/screenshots] [--all]

Starts a daemon on a scratch project, runs a few workflows (one succeeds, one fails,
one waits for approval, one is still running) and photographs the runs list, a run's
summary and a job's log with Chromium. `--all` adds dark-mode, narrow-window and
dialog shots (for review; the docs use the first three).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import textwrap
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ThreadDaemon

EXTRA_WORKFLOWS = {
    "ci.yml": r"""
        name: CI
        on: [push, workflow_dispatch]
        jobs:
          lint:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - name: ruff check
                run: |
                  sleep 0.7
                  printf '\033[1;32mAll checks passed!\033[0m\n'
          build:
            runs-on: ubuntu-latest
            outputs:
              version: ${{ steps.wheel.outputs.version }}
            steps:
              - uses: actions/checkout@v4
              - name: Install dependencies
                run: |
                  echo "::group::pip install -e .[test]"
                  for p in trio quart-trio hypercorn httpx PyYAML pytest; do
                    printf 'Collecting \033[1m%s\033[0m\n' "$p"; sleep 0.05
                  done
                  echo "::endgroup::"
                  printf '\033[32mSuccessfully installed 27 packages\033[0m\n'
                  echo "::notice::Using the cached wheel of PyYAML"
              - name: Build wheel
                id: wheel
                run: |
                  echo "::group::python -m build"
                  echo "* Creating isolated environment: venv+pip..."
                  echo "* Building wheel..."
                  sleep 0.6
                  echo "::endgroup::"
                  echo "Successfully built stax-0.4.0-py3-none-any.whl"
                  echo "version=0.4.0" >> "$GITHUB_OUTPUT"
                  {
                    echo "## Build report"
                    echo ""
                    echo "| artifact | size |"
                    echo "| --- | ---: |"
                    echo "| \`stax-0.4.0-py3-none-any.whl\` | 184 KiB |"
                    echo "| \`stax-0.4.0.tar.gz\` | 2.1 MiB |"
                    echo ""
                    echo "- [x] wheel is pure Python"
                    echo "- [x] licence file included"
                  } >> "$GITHUB_STEP_SUMMARY"
          test:
            needs: build
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python: ["3.11", "3.12", "3.13"]
            steps:
              - uses: actions/checkout@v4
              - name: pytest
                run: |
                  echo "platform linux -- Python ${{ matrix.python }}, pytest-8.3.4"
                  sleep 1
                  if [ "${{ matrix.python }}" = "3.13" ]; then
                    echo "::warning file=runner/api/sse.py,line=42::DeprecationWarning: datetime.utcnow() is deprecated"
                  fi
                  printf '\033[32m========== 412 passed in 1.02s ==========\033[0m\n'
          docs:
            needs: build
            runs-on: ubuntu-latest
            steps:
              - name: mkdocs build
                run: sleep 0.5; echo "INFO - Documentation built in 0.48 seconds"
          release:
            needs: [lint, test, docs]
            runs-on: ubuntu-latest
            steps:
              - run: echo "would publish ${{ needs.build.outputs.version }}"
    """,
    "lint.yml": """
        name: Lint
        on: push
        jobs:
          ruff:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - name: ruff check
                run: |
                  echo "src/app.py:10:5: F821 undefined name 'colour'"
                  echo "::error file=src/app.py,line=10,col=5::F821 undefined name 'colour'"
                  echo "Found 1 error."
                  exit 1
    """,
    "nightly.yml": """
        name: Nightly
        on: push
        jobs:
          soak:
            runs-on: ubuntu-latest
            steps:
              - name: Soak test
                run: for i in $(seq 1 600); do echo "request $i ok"; sleep 0.1; done
    """,
}


def _settle(page: Page) -> None:
    page.wait_for_timeout(400)  # let ticking durations and the graph settle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--all", action="store_true", help="also dark, narrow and dialog shots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        daemon = ThreadDaemon(root)
        for name, text in EXTRA_WORKFLOWS.items():
            (root / "workflows" / name).write_text(textwrap.dedent(text))
        daemon.start()
        try:
            shoot(daemon, args.out, extra=args.all)
        finally:
            daemon.stop()


def shoot(daemon: ThreadDaemon, out: Path, *, extra: bool) -> None:
    done = []
    for workflow in ("trickle", "lint", "fancy", "ci"):
        run_id = daemon.start_run(workflow)
        daemon.wait_for(run_id, lambda run: run["status"] == "completed")
        done.append(run_id)
    fancy, ci = done[-2:]
    gated = daemon.start_run("gated")
    daemon.wait_for(gated, lambda run: any(j["status"] == "waiting" for j in run["jobs"]))
    nightly = daemon.start_run("nightly")
    time.sleep(2.5)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 800}, device_scale_factor=1
            )
            page = context.new_page()
            page.goto(daemon.login_url())
            page.get_by_text("Signed in").wait_for()

            page.goto(daemon.url + "/")
            page.locator(".run-row").nth(4).wait_for()
            _settle(page)
            page.screenshot(path=out / "runs.png")

            page.goto(f"{daemon.url}/runs/{ci}")
            page.locator(".markdown h2").wait_for()
            _settle(page)
            page.screenshot(path=out / "run.png")

            page.goto(f"{daemon.url}/runs/{ci}?job=build&step=2")
            page.locator(".ln-group").first.wait_for()
            page.locator(
                ".ln-group", has=page.get_by_text("pip install -e .[test]", exact=True)
            ).locator(".fold").click()
            page.get_by_label("Timestamps").check()
            page.evaluate(
                "() => window.scrollTo(0, document.querySelector('.job-head').offsetTop - 12)"
            )
            _settle(page)
            page.screenshot(path=out / "log.png")

            if extra:
                page.goto(f"{daemon.url}/runs/{nightly}?job=soak")
                page.locator(".log .ln").first.wait_for()
                _settle(page)
                page.screenshot(path=out / "live.png")
                page.goto(f"{daemon.url}/runs/{gated}")
                _settle(page)
                page.screenshot(path=out / "approval.png")
                page.goto(daemon.url + "/")
                page.get_by_role("button", name="Run workflow").click()
                page.get_by_role("dialog").get_by_role("button", name=re.compile("^Fancy")).click()
                _settle(page)
                page.screenshot(path=out / "dialog.png")
                dark = browser.new_context(
                    viewport={"width": 1280, "height": 800}, color_scheme="dark"
                ).new_page()
                dark.goto(f"{daemon.url}/runs/{fancy}")
                dark.locator(".markdown h2").wait_for()
                _settle(dark)
                dark.screenshot(path=out / "run-dark.png")
                narrow = browser.new_context(
                    viewport={"width": 390, "height": 844}, device_scale_factor=2
                ).new_page()
                narrow.goto(f"{daemon.url}/runs/{fancy}?job=build&step=2")
                narrow.locator(".ln").first.wait_for()
                _settle(narrow)
                narrow.screenshot(path=out / "narrow.png", full_page=True)
                narrow.goto(daemon.url + "/")
                narrow.locator(".run-row").first.wait_for()
                _settle(narrow)
                narrow.screenshot(path=out / "narrow-runs.png")
        finally:
            browser.close()
    for path in sorted(out.glob("*.png")):
        print(f"{path}  {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
