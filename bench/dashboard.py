"""Dashboard benchmark (run by hand, not a test; prints a table):

    python -m bench.dashboard [--lines 300] [--repeat 5]

1. Latency from a line written by a step to the line in the page's DOM: the step prints
   `mark <i> <wall clock µs>`; a MutationObserver in the page stamps each log row as it
   is inserted (Chromium and the step share the machine's clock). The row is painted
   in the frame after that.
2. Time to open a finished 100,000-line log: navigation start to the line count shown
   and the first rows drawn; then End to the last line.
3. Why the run page reads /api/events?format=canonical: the same 100,000-line replay
   through one EventSource, as seed-003 events (one per line) and as canonical events
   (one per log chunk).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ThreadDaemon

LATENCY = """
    name: Latency
    on: push
    jobs:
      emit:
        runs-on: ubuntu-latest
        steps:
          - name: Marks
            shell: python
            run: |
              import sys, time
              time.sleep(2.0)
              for i in range({lines}):
                  print("mark", i, time.time_ns() // 1000, flush=True)
                  time.sleep(0.01)
"""

# Stamps each event as the page's EventSource delivers it (before the page's handler).
ARRIVAL = """
window.__arrival = [];
const add = EventSource.prototype.addEventListener;
EventSource.prototype.addEventListener = function (type, fn, options) {
  if (type !== 'step.log') return add.call(this, type, fn, options);
  return add.call(this, type, (event) => {
    const now = (performance.timeOrigin + performance.now()) * 1000;
    for (const m of event.data.matchAll(/mark (\\d+) (\\d+)/g)) {
      window.__arrival.push([Number(m[1]), (now - Number(m[2])) / 1000]);
    }
    return fn(event);
  }, options);
};
"""

OBSERVE = """() => {
  window.__lat = [];
  new MutationObserver((records) => {
    const now = (performance.timeOrigin + performance.now()) * 1000;
    for (const record of records) for (const node of record.addedNodes) {
      if (!(node instanceof HTMLElement) || !node.classList.contains('ln')) continue;
      const m = /mark (\\d+) (\\d+)/.exec(node.textContent);
      if (m) window.__lat.push([Number(m[1]), (now - Number(m[2])) / 1000]);
    }
  }).observe(document.body, { childList: true, subtree: true });
}"""

REPLAY = """([runId, format]) => new Promise((resolve) => {
  const t0 = performance.now();
  let lines = 0;
  const source = new EventSource(`/api/events?runId=${runId}&lastEventId=0${format}`);
  source.addEventListener('step.log', (e) => {
    const d = JSON.parse(e.data);
    lines += d.data ? d.data.lines.length : 1;
  });
  source.addEventListener('run.completed', () => {
    source.close();
    resolve([performance.now() - t0, lines]);
  });
})"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_latency(daemon: ThreadDaemon, page: Page, lines: int) -> tuple[list[float], list[float]]:
    page.add_init_script(ARRIVAL)
    run_id = daemon.start_run("latency")
    page.goto(f"{daemon.url}/runs/{run_id}?job=emit&step=1")
    page.evaluate(OBSERVE)
    daemon.wait_for(run_id, lambda run: run["status"] == "completed")
    page.wait_for_timeout(300)
    seen = dict(page.evaluate("() => window.__lat"))
    arrived = dict(page.evaluate("() => window.__arrival"))
    assert len(seen) == lines, f"saw {len(seen)} of {lines} lines"
    return list(arrived.values()), list(seen.values())


def bench_open(
    daemon: ThreadDaemon, page: Page, run_id: str, repeat: int
) -> tuple[list[float], list[float]]:
    opens: list[float] = []
    ends: list[float] = []
    for _ in range(repeat):
        page.goto(daemon.url + "/")
        page.locator(".run-row").first.wait_for()
        started = time.perf_counter()
        page.goto(f"{daemon.url}/runs/{run_id}?job=big&step=1")
        page.locator(".log-count", has_text="100,004 lines").wait_for()
        page.locator('.log .ln[data-line="0"]').wait_for()
        opens.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        page.locator(".log-scroller").focus()
        page.keyboard.press("End")
        page.locator('.log .ln[data-line="100003"]').wait_for()
        ends.append((time.perf_counter() - started) * 1000)
    return opens, ends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        daemon = ThreadDaemon(root)
        (root / "workflows" / "latency.yml").write_text(
            textwrap.dedent(LATENCY).replace("{lines}", str(args.lines))
        )
        daemon.start()
        try:
            big = daemon.start_run("big")
            daemon.wait_for(big, lambda run: run["status"] == "completed")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                arrival, latency = bench_latency(daemon, page, args.lines)
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                opens, ends = bench_open(daemon, page, big, args.repeat)
                page.goto(daemon.url + "/")
                seed_ms, seed_lines = page.evaluate(REPLAY, [big, ""])
                canon_ms, canon_lines = page.evaluate(REPLAY, [big, "&format=canonical"])
                browser.close()
        finally:
            daemon.stop()

    rows = [
        ("line written -> EventSource, p50", f"{percentile(arrival, 0.5):.1f} ms"),
        ("line written -> EventSource, p99", f"{percentile(arrival, 0.99):.1f} ms"),
        ("line written -> in the page, p50", f"{percentile(latency, 0.5):.1f} ms"),
        ("line written -> in the page, p99", f"{percentile(latency, 0.99):.1f} ms"),
        ("line written -> in the page, max", f"{max(latency):.1f} ms"),
        ("open a 100,000-line log (median)", f"{statistics.median(opens):.0f} ms"),
        ("open a 100,000-line log (worst)", f"{max(opens):.0f} ms"),
        ("End to its last line (median)", f"{statistics.median(ends):.0f} ms"),
        (f"replay {seed_lines:,} lines as seed-003 events", f"{seed_ms:.0f} ms"),
        (f"replay {canon_lines:,} lines as canonical events", f"{canon_ms:.0f} ms"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"\n{'measure'.ljust(width)}  value")
    print(f"{'-' * width}  --------")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    print(f"\n({args.lines} latency samples, {args.repeat} opens; Chromium {CHROMIUM}, headless)")


if __name__ == "__main__":
    main()
