"""The dashboard, end to end: a user in Chromium against a real daemon."""

from __future__ import annotations

import json
import re
import time
import zipfile
from typing import TYPE_CHECKING, Any

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import ThreadDaemon

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from playwright.sync_api import BrowserContext, Page, Route


LOG_LINES_JS = """() => [...document.querySelectorAll('.log .ln')]
    .map((el) => [Number(el.dataset.line), el.querySelector('.ln-text').textContent])
    .sort((a, b) => a[0] - b[0]).map((pair) => pair[1])"""


def run_id_of(page: Page) -> str:
    match = re.search(r"/runs/([0-9a-f]+)", page.url)
    assert match, page.url
    return match.group(1)


def test_start_a_run_and_watch_it_live(signed_in: Page, daemon: ThreadDaemon) -> None:
    page = signed_in
    page.goto(daemon.url + "/")
    expect(page.get_by_role("heading", name="Runs", exact=True)).to_be_visible()
    page.get_by_role("button", name="Run workflow").click()
    dialog = page.get_by_role("dialog", name="Run workflow")
    # Workflows with validation errors are listed, with their errors, and cannot be picked.
    expect(dialog.locator(".wf-invalid")).to_contain_text("bogus")
    expect(dialog.locator(".wf-invalid button")).to_be_disabled()
    dialog.get_by_role("button", name=re.compile("^Live")).click()
    dialog.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]+$"))
    run_id = run_id_of(page)

    # The graph shows both jobs; open the first: its running step opens by itself and
    # its lines arrive while it runs.
    page.locator(".gnode", has_text="first").click()
    expect(page).to_have_url(re.compile(r"\?job=first$"))
    log = page.locator(".log")
    expect(log).to_contain_text("tick 2")
    running = daemon.run(run_id)
    assert running["status"] != "completed", "the run finished before a line was seen"
    expect(log).to_contain_text("tick 8")

    # Both jobs turn green, live.
    page.get_by_role("link", name="Summary").click()
    expect(page.locator(".gnode.state-success")).to_have_count(2)
    expect(page.locator(".run-head .badge")).to_have_text("Success")

    # The back button retraces the way (summary <- job <- run <- runs list), and the
    # list shows the run, finished, at the top.
    page.go_back()
    expect(page).to_have_url(f"{daemon.url}/runs/{run_id}?job=first")
    expect(page.locator(".job-head h2")).to_contain_text("first")
    page.go_back()
    expect(page).to_have_url(f"{daemon.url}/runs/{run_id}")
    page.go_back()
    expect(page).to_have_url(daemon.url + "/")
    first_row = page.locator(".run-row").first
    expect(first_row).to_contain_text("Live")
    expect(first_row.locator(".badge")).to_have_text("Success")


def test_runs_list_updates_live_and_filters(signed_in: Page, daemon: ThreadDaemon) -> None:
    page = signed_in
    page.goto(daemon.url + "/")
    expect(page.get_by_role("heading", name="Runs", exact=True)).to_be_visible()
    expect(page.locator("#conn")).to_have_text("Live")
    run_id = daemon.start_run("trickle")
    row = page.locator(f'.run-row[data-key="{run_id}"]')
    expect(row).to_be_visible()
    expect(row.locator(".badge")).to_have_text("Success")
    page.get_by_label("Status").select_option("failure")
    expect(page).to_have_url(re.compile(r"status=failure"))
    expect(row).to_have_count(0)
    page.reload()  # the filter is in the URL: it survives
    expect(page.get_by_label("Status")).to_have_value("failure")
    page.get_by_role("button", name="Clear filters").click()
    expect(row).to_be_visible()


def test_approve_a_blocked_job(signed_in: Page, daemon: ThreadDaemon) -> None:
    page = signed_in
    run_id = daemon.start_run("gated")
    page.goto(f"{daemon.url}/runs/{run_id}")
    approval = page.locator(".approvals .approval")
    expect(approval).to_contain_text("deploy is waiting for approval to deploy to production")
    expect(page.locator(".run-head .badge")).to_have_text("In progress")
    approval.get_by_role("button", name="Approve").click()
    expect(page.locator(".approvals")).to_have_count(0)
    expect(page.locator(".run-head .badge")).to_have_text("Success")
    expect(page.locator(".gnode.state-success")).to_have_count(2)
    run = daemon.run(run_id)
    assert [j["conclusion"] for j in run["jobs"]] == ["success", "success"]


def test_cancel_a_run(signed_in: Page, daemon: ThreadDaemon) -> None:
    page = signed_in
    run_id = daemon.start_run("slow")
    page.goto(f"{daemon.url}/runs/{run_id}?job=wait")
    expect(page.locator(".log")).to_contain_text("started")
    page.get_by_role("button", name="Cancel run").click()
    expect(page.locator(".run-head .badge")).to_have_text("Cancelled", timeout=15_000)
    expect(page.locator(".step.state-cancelled")).to_have_count(1)
    expect(page.get_by_role("button", name="Re-run")).to_be_visible()


def test_reload_mid_run_loses_nothing(signed_in: Page, daemon: ThreadDaemon) -> None:
    page = signed_in
    run_id = daemon.start_run("trickle")
    page.goto(f"{daemon.url}/runs/{run_id}?job=emit&step=1")
    log = page.locator(".log")
    expect(log).to_contain_text("line 4")
    page.reload()
    expect(page.locator(".run-head .badge")).to_have_text("Success", timeout=15_000)
    expect(log).to_contain_text("line 25")
    shown = [text for text in page.evaluate(LOG_LINES_JS) if text.startswith("line ")]
    assert shown == [f"line {i}" for i in range(1, 26)]
    # The same again from the history alone.
    page.reload()
    expect(log).to_contain_text("line 25")
    shown = [text for text in page.evaluate(LOG_LINES_JS) if text.startswith("line ")]
    assert shown == [f"line {i}" for i in range(1, 26)]


def test_a_100000_line_log_opens_fast_and_scrolls_to_its_end(
    signed_in: Page, daemon: ThreadDaemon
) -> None:
    page = signed_in
    run_id = daemon.start_run("big")
    daemon.wait_for(run_id, lambda run: run["status"] == "completed")
    started = time.perf_counter()
    page.goto(f"{daemon.url}/runs/{run_id}?job=big&step=1")
    expect(page.locator(".log-count")).to_have_text("100,004 lines")
    opened = time.perf_counter() - started
    rows = page.locator(".log .ln")
    assert rows.count() < 200, "only the lines on screen may be in the DOM"
    page.locator(".log-scroller").focus()
    page.keyboard.press("End")
    last = page.locator('.log .ln[data-line="100003"]')
    expect(last).to_be_in_viewport()
    expect(last).to_contain_text("100000")
    assert rows.count() < 200
    # Search finds a line far away and brings it on screen.
    page.get_by_label("Search this log").fill("77777")
    page.get_by_label("Search this log").press("Enter")
    expect(page.locator(".log-matches")).to_have_text("1 / 1")
    expect(page.locator(".ln-current")).to_contain_text("77777")
    expect(page.locator(".ln-current")).to_be_in_viewport()
    print(f"\n100,000-line log opened in {opened * 1000:.0f} ms")
    assert opened < 5


def test_log_rendering_annotations_summary_and_outputs(
    signed_in: Page, daemon: ThreadDaemon
) -> None:
    page = signed_in
    run_id = daemon.start_run("fancy", event="workflow_dispatch", inputs={"greeting": "howdy"})
    daemon.wait_for(run_id, lambda run: run["status"] == "completed")
    page.goto(f"{daemon.url}/runs/{run_id}")
    # The matrix instances are grouped in one graph node.
    group = page.locator(".gnode-group")
    expect(group).to_contain_text("3 jobs")
    expect(group.locator(".gitem")).to_have_count(3)
    # The step summary is Markdown, rendered safely (no script, no event handler).
    summary = page.locator(".markdown")
    expect(summary.locator("h2")).to_have_text("Build report")
    expect(summary.locator("table td strong")).to_have_text("ok")
    assert summary.locator("script, img").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    expect(page.locator(".card", has_text="Job outputs")).to_contain_text("1.4.2")
    # An annotation links to its line: the step opens, scrolled to it.
    page.locator(".annotation", has_text="Type mismatch").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"job=build&step=2#L\d+$"))
    expect(page.locator(".ln-selected")).to_contain_text("Error: Type mismatch")
    # ANSI colours, folded groups.
    expect(page.locator(".log .ansi-f2", has_text="green ok")).to_be_visible()
    expect(page.locator(".log .ansi-bold.ansi-f1", has_text="bold red")).to_be_visible()
    group_row = page.locator(".ln-group", has=page.get_by_text("Install dependencies", exact=True))
    expect(group_row.locator(".fold")).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".log")).not_to_contain_text("installed 42 packages")
    group_row.locator(".fold").click()
    expect(page.locator(".log")).to_contain_text("installed 42 packages")
    # Timestamps on demand; the raw log is a link away.
    page.get_by_label("Timestamps").check()
    expect(page.locator(".ln-ts").first).to_have_text(re.compile(r"^\d\d:\d\d:\d\d\.\d{3}$"))
    raw = page.get_by_role("link", name="Raw log").get_attribute("href")
    assert raw == f"/api/runs/{run_id}/jobs/build/steps/2/log"
    assert "installed 42 packages" in httpx.get(daemon.url + raw).text


def test_a_runs_artifacts_are_offered_for_download(anonymous: Page, daemon: ThreadDaemon) -> None:
    page = anonymous
    run_id = daemon.start_run("artifacts")
    page.goto(f"{daemon.url}/runs/{run_id}")
    # Listed once the job that made it is done, without a reload.
    card = page.locator(".card", has_text="Artifacts (1)")
    expect(card).to_be_visible(timeout=20_000)
    expect(card).to_contain_text("package")
    link = card.get_by_role("link", name="test-report")
    with page.expect_download() as download:
        link.click()
    saved = download.value
    assert saved.suggested_filename == "test-report.zip"
    with zipfile.ZipFile(saved.path()) as archive:
        assert archive.read("report.txt") == b"all green\n"


def test_read_only_without_login_and_deep_links(anonymous: Page, daemon: ThreadDaemon) -> None:
    page = anonymous
    run_id = daemon.start_run("slow")
    page.goto(f"{daemon.url}/")
    run_button = page.get_by_role("button", name="Run workflow")
    expect(run_button).to_be_disabled()
    expect(page.locator("#ro-note")).to_contain_text("Read-only")
    page.locator(f'.run-row[data-key="{run_id}"] a').click()
    expect(page).to_have_url(f"{daemon.url}/runs/{run_id}")
    expect(page.get_by_role("button", name="Cancel run")).to_be_disabled()
    # A deep link survives a reload, and the back button goes back.
    page.locator(".jobs-item", has_text="wait").click()
    expect(page).to_have_url(f"{daemon.url}/runs/{run_id}?job=wait")
    page.reload()
    expect(page.locator(".job-head h2")).to_contain_text("wait")
    page.go_back()
    expect(page).to_have_url(f"{daemon.url}/runs/{run_id}")
    expect(page.get_by_role("heading", name="Job graph")).to_be_visible()
    # A POST without the session is refused by the daemon, whatever the page does.
    status = page.evaluate(
        "async (id) => (await fetch(`/api/runs/${id}/cancel`, {method: 'POST'})).status", run_id
    )
    assert status == 401
    httpx.post(f"{daemon.url}/api/runs/{run_id}/cancel", headers=daemon.auth)
    page.goto(f"{daemon.url}/runs/0badc0de")
    expect(page.get_by_role("heading", name="Run not found")).to_be_visible()


def test_login_link_works_once(
    new_context: Callable[..., BrowserContext], daemon: ThreadDaemon
) -> None:
    link = daemon.login_url()
    first = new_context().new_page()
    first.goto(link)
    expect(first).to_have_url(daemon.url + "/")
    expect(first.get_by_text("Signed in")).to_be_visible()
    cookie = next(c for c in first.context.cookies() if c["name"] == "stax_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    second = new_context().new_page()
    second.goto(link)
    expect(second.locator(".notice-error")).to_contain_text("not valid any more")
    expect(second.get_by_role("button", name="Run workflow")).to_be_disabled()
    # Signing in with the daemon token works too; signing out goes back to read-only.
    second.get_by_role("banner").get_by_role("button", name="Sign in").click()
    second.get_by_label("Daemon token").fill(daemon.address.token)
    second.get_by_role("dialog").get_by_role("button", name="Sign in").click()
    expect(second.get_by_role("button", name="Run workflow")).to_be_enabled()
    second.get_by_role("button", name="Sign out").click()
    expect(second.get_by_role("button", name="Run workflow")).to_be_disabled()


def test_narrow_window_and_200_percent_zoom(
    new_context: Callable[..., BrowserContext], daemon: ThreadDaemon
) -> None:
    run_id = daemon.start_run("fancy")
    daemon.wait_for(run_id, lambda run: run["status"] == "completed")
    # 200% zoom of a 1280-px window lays out as 640 CSS px at twice the pixels.
    for viewport, scale in (({"width": 640, "height": 800}, 2), ({"width": 360, "height": 740}, 1)):
        page = new_context(viewport=viewport, device_scale_factor=scale).new_page()
        for path in ("/", f"/runs/{run_id}", f"/runs/{run_id}?job=build&step=2", "/skills"):
            page.goto(daemon.url + path)
            page.locator("main h1, main h2").first.wait_for()
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} overflows a {viewport['width']}px window by {overflow}px"


def test_skills_page_without_skills_api(anonymous: Page, daemon: ThreadDaemon) -> None:
    page = anonymous
    page.goto(daemon.url + "/skills")
    expect(page.get_by_role("heading", name="Skills", exact=True)).to_be_visible()
    if httpx.get(daemon.url + "/v1/skills").status_code == 404:
        expect(page.locator(".empty-state")).to_contain_text("not available")
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page).to_have_url(daemon.url + "/")


SKILL_EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("skill_start", {"type": "skill_start", "message": "Starting skill 'text.summarize'."}),
    (
        "step_start",
        {"type": "step_start", "message": "Starting step 'analyze'.", "step_id": "analyze"},
    ),
    (
        "step_completed",
        {
            "type": "step_completed",
            "message": "Step 'analyze' completed.",
            "step_id": "analyze",
            "data": {"produced_output": {"summary": "hi"}},
        },
    ),
    (
        "step_skipped",
        {"type": "step_skipped", "message": "Step 'enrich' skipped.", "step_id": "enrich"},
    ),
    ("skill_completed", {"type": "skill_completed", "message": "Skill completed."}),
    (
        "done",
        {
            "skill_id": "text.summarize",
            "status": "completed",
            "outputs": {"summary": "hi"},
            "trace_id": "abc-123",
        },
    ),
]


def test_skills_page_runs_a_skill_and_shows_its_events(
    signed_in: Page, daemon: ThreadDaemon
) -> None:
    """Against the seed-002 wire format (the API is served to the page by Playwright)."""
    page = signed_in
    requests: list[Any] = []
    stamp = {"timestamp": "2026-03-25T12:00:00Z", "trace_id": "abc-123", "data": None}
    stream = "".join(
        f"event: {name}\ndata: {json.dumps({**stamp, **payload} if name != 'done' else payload)}\n\n"
        for name, payload in SKILL_EVENTS
    )
    skill = {
        "id": "text.summarize",
        "description": "Summarise a text",
        "inputs": {
            "text": {"type": "string", "required": True, "description": "What to summarise"},
            "max_words": {"type": "number", "default": 50},
        },
    }
    page.route(
        re.compile(r".*/v1/skills$"),
        lambda route: route.fulfill(
            json={"skills": [{"id": "text.summarize", "description": "Summarise a text"}]}
        ),
    )
    page.route(
        re.compile(r".*/v1/skills/text\.summarize$"), lambda route: route.fulfill(json=skill)
    )

    def execute(route: Route) -> None:
        requests.append(route.request.post_data_json)
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=stream)

    page.route(re.compile(r".*/execute/stream$"), execute)
    page.goto(daemon.url + "/skills")
    page.get_by_role("link", name=re.compile("text.summarize")).click()
    expect(page).to_have_url(daemon.url + "/skills/text.summarize")
    page.get_by_label(re.compile("^text")).fill("Hello world")
    page.get_by_role("button", name="Execute").click()
    events = page.locator(".skill-events li")
    expect(events).to_have_count(5)
    expect(events.nth(3)).to_contain_text("step_skipped")
    expect(page.get_by_text("Result: completed")).to_be_visible()
    assert requests == [{"inputs": {"text": "Hello world", "max_words": 50}}]
    page.reload()  # the execution is remembered in this browser
    expect(page.locator(".recent")).to_contain_text("text.summarize")


def test_the_page_resumes_across_a_daemon_restart(
    new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    """The stream drops; the browser reconnects by itself with Last-Event-ID and the page
    ends up with every line exactly once."""
    server = ThreadDaemon(tmp_path)
    server.start()
    try:
        run_id = server.start_run("slow")
        page = new_context().new_page()
        page.goto(f"{server.url}/runs/{run_id}?job=wait&step=1")
        expect(page.locator(".log")).to_contain_text("started")
        expect(page.locator("#conn")).to_have_text("Live")
        server.restart()  # a graceful stop cancels the run; the new daemon has its log
        expect(page.locator("#conn")).to_have_text("Live", timeout=15_000)
        expect(page.locator(".run-head .badge")).to_have_text("Cancelled", timeout=15_000)
        page.get_by_role("button", name="Expand all").click()
        raw = httpx.get(f"{server.url}/api/runs/{run_id}/jobs/wait/steps/1/log").text
        shown = [text.lstrip("▾") for text in page.evaluate(LOG_LINES_JS)]
        assert shown == [
            line.removeprefix("##[group]").replace("##[error]", "Error: ")
            for line in raw.splitlines()
            if line != "##[endgroup]"
        ]
        assert shown.count("started") == 1
    finally:
        server.stop()


MARKDOWN_CASES: list[tuple[str, str]] = [
    ("# Title", "<h1>Title</h1>"),
    ("a **b** *c* `d` ~~e~~", "<p>a <strong>b</strong> <em>c</em> <code>d</code> <del>e</del></p>"),
    ("- [x] done\n- [ ] todo", '<ul><li><input checked="" disabled="" type="checkbox"> done'),
    ("| a | b |\n| :-- | --: |\n| 1 | 2 |", '<th align="left">a</th><th align="right">b</th>'),
    ("```sh\necho <b>\n```", "<pre><code>echo &lt;b&gt;</code></pre>"),
    ("<details><summary>More</summary>\n\nhidden\n</details>", "<details><summary>More</summary>"),
    ("[ok](https://example.com)", 'href="https://example.com" rel="noopener noreferrer nofollow"'),
    ("[x](javascript:alert(1))", '<p><a rel="noopener noreferrer nofollow">x</a></p>'),
    ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
    ("<img src=x onerror=alert(1)>", ""),
    ('<img src="x" onerror="alert(1)">', ""),
    ('<svg onload="alert(1)"><circle/></svg>', ""),
    ("<script>alert(1)</script>after", "after"),
    ('<iframe src="https://evil"></iframe>', ""),
    ('<p style="color:red" onclick="x()">hi</p>', "<p>hi</p>"),
    ("![alt](https://evil/pixel.png)", '<a href="https://evil/pixel.png"'),
]

# Known XSS vectors (OWASP's cheat sheet, DOMPurify's and marked's regression lists):
# javascript: hidden by tabs, newlines, entities, control characters and case; data:
# and vbscript: URLs; event handlers; SVG and MathML tricks; mutation XSS; style,
# iframe, object, embed, form, meta refresh, base, link; DOM clobbering. Every URL
# that a broken sanitizer would fetch points at a closed port on loopback.
XSS_VECTORS = [
    '<a href="java\tscript:alert(1)">tab</a>',
    '<a href="java\nscript:alert(1)">newline</a>',
    '<a href="java&#9;script:alert(1)">entity tab</a>',
    '<a href="java&#x0A;script:alert(1)">entity newline</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">all</a>',
    '<a href="&#x6A;avascript&#x3A;alert(1)">hex</a>',
    '<a href="  javascript:alert(1)">spaces</a>',
    '<a href="\x01javascript:alert(1)">control</a>',
    '<a href="JaVaScRiPt:alert(1)">case</a>',
    '<a href="javascript&colon;alert(1)">colon entity</a>',
    "[md tab](java\tscript:alert(1))",
    "[md entity](java&#9;script:alert(1))",
    "[md case](JAVASCRIPT:alert(1))",
    "[md ref][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![img](javascript:alert(1))",
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    "[md data](data:text/html,<script>alert(1)</script>)",
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<div onmouseover="alert(1)">hover</div>',
    '<details open ontoggle="alert(1)"><summary>x</summary></details>',
    '<input autofocus onfocus="alert(1)">',
    '<input type="image" src="http://127.0.0.1:9/x" onerror="alert(1)">',
    '<body onload="alert(1)">',
    '<video><source onerror="alert(1)"></video>',
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text y="20">x</text></a></svg>',
    '<svg><animate onbegin="alert(1)" attributeName="x" dur="1s"/></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><a xlink:href="javascript:alert(1)">m</a></math>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><img src=x onerror=alert(1)></template>",
    "<style>@import 'http://127.0.0.1:9/x.css'; * { color: red }</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<scr<script>ipt>alert(1)</script>",
    '<a href="#" onclick="alert(1)">click</a>',
    '<table><tr><td><a href="java\tscript:alert(1)">cell</a></td></tr></table>',
    '<img srcset="x 1x" onerror="alert(1)">',
    '<a id="x" name="body">clobber</a>',
    '<a title="&quot;><img src=x onerror=alert(1)>" href="javascript:alert(1)">t</a>',
    '<a href="https://example.com" target="_self" onclick="alert(1)">fine</a>',
]
SAFE_TAGS = {
    *("a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt"),
    *("em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "input", "ins", "kbd", "li", "mark"),
    *("ol", "p", "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub"),
    *("summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul"),
    "var",
}
SAFE_ATTRIBUTES = {
    *("href", "title", "open", "start", "align", "colspan", "rowspan", "type", "checked"),
    *("disabled", "rel", "target"),
}


def test_the_summary_sanitizer_defeats_known_xss_vectors(
    new_context: Callable[..., BrowserContext], daemon: ThreadDaemon
) -> None:
    """Each vector rendered into the live page, with the CSP switched off so that the
    sanitizer alone stands: nothing runs, and what is left is only allowed tags and
    attributes, with links the browser would open as http(s), mailto or this page."""
    context = new_context(bypass_csp=True)
    outside: list[str] = []

    def only_the_daemon(route: Route) -> None:
        if route.request.url.startswith(daemon.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_daemon)
    page = context.new_page()
    page.goto(daemon.url + "/skills")
    base = page.evaluate(
        "() => document.querySelector('script[type=module]').src.replace(/app\\.js$/, '')"
    )
    found = page.evaluate(
        """async ([base, vectors, tags, attributes]) => {
            window.alert = window.confirm = window.prompt = (v) => {
                (window.__xss = window.__xss || []).push(String(v));
            };
            const { renderMarkdown } = await import(base + 'markdown.js');
            const problems = [];
            const holders = vectors.map((source) => {
                const holder = document.createElement('div');
                holder.appendChild(renderMarkdown(source));
                document.body.appendChild(holder);
                return [source, holder];
            });
            await new Promise((done) => setTimeout(done, 300));  // onerror, onload, ontoggle...
            for (const [source, holder] of holders) {
                for (const el of holder.querySelectorAll('*')) {
                    if (!tags.includes(el.localName)) problems.push([source, `<${el.localName}>`]);
                    for (const attr of el.attributes) {
                        if (!attributes.includes(attr.name)) problems.push([source, attr.name]);
                    }
                    if (el.hasAttribute('href')) {
                        const url = new URL(el.getAttribute('href'), location.href);
                        if (!['http:', 'https:', 'mailto:'].includes(url.protocol)) {
                            problems.push([source, `href ${url.protocol}`]);
                        }
                    }
                }
            }
            return { problems, alerts: window.__xss || [], html: holders.map(([, h]) => h.innerHTML) };
        }""",
        [base, XSS_VECTORS, sorted(SAFE_TAGS), sorted(SAFE_ATTRIBUTES)],
    )
    assert found["problems"] == []
    assert found["alerts"] == []
    assert outside == []
    # What is safe survives: the text of each link, and the one harmless href.
    assert "tab" in found["html"][0]
    assert 'href="https://example.com"' in found["html"][-1]


ANSI_CASES: list[tuple[str, list[list[Any]]]] = [
    ("plain", [["plain", None]]),
    ("\x1b[31mred\x1b[0m ok", [["red", {"fg": 1}], [" ok", None]]),
    ("\x1b[1;38;5;208mx", [["x", {"bold": True, "fg": "rgb(255, 135, 0)"}]]),
    ("\x1b[38;2;1;2;3mx\x1b[39m", [["x", {"fg": "rgb(1, 2, 3)"}]]),
    ("10%\r50%\r100%", [["100%", None]]),
    ("\x1b[2K\x1b]8;;https://x\x07link\x1b]8;;\x07", [["link", None]]),
]


def test_markdown_is_rendered_safely_and_ansi_parsed(anonymous: Page, daemon: ThreadDaemon) -> None:
    """The renderers themselves, in the browser, on a table of cases (XSS ones included)."""
    page = anonymous
    page.goto(daemon.url + "/skills")
    base = page.evaluate(
        "() => document.querySelector('script[type=module]').src.replace(/app\\.js$/, '')"
    )
    rendered = page.evaluate(
        """async ([base, cases]) => {
            const { renderMarkdown } = await import(base + 'markdown.js');
            return cases.map((source) => {
                const div = document.createElement('div');
                div.appendChild(renderMarkdown(source));
                return div.innerHTML.replace(/\\n/g, '');
            });
        }""",
        [base, [source for source, _ in MARKDOWN_CASES]],
    )
    for (source, expected), html in zip(MARKDOWN_CASES, rendered, strict=True):
        assert expected in html, f"{source!r} -> {html!r}"
        assert "<script" not in html
        assert "<iframe" not in html
        assert "javascript:" not in html
        assert "onerror" not in html
    parsed = page.evaluate(
        """async ([base, cases]) => {
            const { parse } = await import(base + 'ansi.js');
            return cases.map((line) => parse(line).map((s) => [s.text, s.style]));
        }""",
        [base, [line for line, _ in ANSI_CASES]],
    )
    for (line, wanted), segments in zip(ANSI_CASES, parsed, strict=True):
        assert segments == wanted, f"{line!r} -> {segments!r}"
    assert page.evaluate("() => window.alerted") is None
