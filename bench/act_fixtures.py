"""stax against nektos/act's host-mode fixtures: does stax reach act's verdict?

    python bench/act_fixtures.py PATH_TO_ACT [--table host|run] [--only NAME ...] [--all]

PATH_TO_ACT is a checkout of https://github.com/nektos/act: a work tree, or a
bare git directory (its HEAD is read). Nothing of act is copied into this
repository: its fixtures are data, read from there at run time.

The fixtures are a table of act's pkg/runner/runner_test.go: with `--table
host` (the default) `TestRunEventHostEnvironment`'s Linux and non-Windows
rows, the workflows act itself runs on the host; with `--table run`
`TestRunEvent`'s, which act runs in containers (with their event.json and
secrets). A row's fourth column is the expectation: an error message means
the run must fail, none that it must succeed. Fixtures that need the network (a remote action other than
actions/checkout) or Docker (a Docker action, a job with `container:` or
`services:`, which act's host mode runs on the host as if they were not
there) are listed as excluded, with the reason, and are run only with --all.

act sets two things GitHub does not, and its fixtures test them: the actor
`nektos/act` and the variable ACT=true. stax is run with the same values
(`--actor nektos/act --env ACT=true`), as a user of such a workflow would.

Each fixture runs as act runs it: the workdir is a fresh copy of act's
testdata directory (a git repository whose origin is nektos/act, as in
act's own checkout), every workflow in the fixture's directory that runs on
the fixture's event is run with `stax run --local --json -e EVENT`, and the
fixture's verdict is failure if any run fails. The table shows act's
expectation, stax's verdict, and for a difference the first error stax
reported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from runner.errors import WorkflowErrors  # noqa: E402
from runner.model import load_workflow  # noqa: E402

TESTDATA = "pkg/runner/testdata"
MODEL_TESTDATA = "pkg/model/testdata"  # a few TestRunEvent rows use it ("../model/testdata")
TEST_FILE = "pkg/runner/runner_test.go"
TABLES = {"host": "TestRunEventHostEnvironment", "run": "TestRunEvent"}
_ROW = re.compile(r'\{(workdir|"[^"]+"), "([^"]+)", "([^"]+)", "((?:[^"\\]|\\.)*)",(.*)\},?$')
_MAP = re.compile(r"map\[string\]string\{([^}]*)\}")
_PAIR = re.compile(r'"([^"]*)":\s*"([^"]*)"')
_USES = re.compile(r"^\s*(?:-\s*)?uses:\s*['\"]?([^\s'\"#]+)", re.MULTILINE)
_USING = re.compile(r"^\s*using:\s*['\"]?(\w+)", re.MULTILINE)
_CONTAINER_JOB = re.compile(r"^\s+(?:container|services):", re.MULTILINE)
# What act sets by default and GitHub does not: its fixtures test for them.
ACT_DEFAULTS = ["--actor", "nektos/act", "--env", "ACT=true"]


@dataclass(frozen=True, slots=True)
class Fixture:
    name: str
    event: str
    act_error: str  # act's expected error; "" means the run must succeed
    base: str = TESTDATA  # the workdir act gives it
    secrets: tuple[tuple[str, str], ...] = ()
    event_file: bool = False  # act's TestRunEvent passes <fixture>/event.json when there is one

    @property
    def expected(self) -> str:
        return "failure" if self.act_error else "success"


@dataclass(frozen=True, slots=True)
class Outcome:
    fixture: Fixture
    verdict: str  # success | failure | excluded
    seconds: float
    note: str


def read_act(path: Path, into: Path) -> tuple[str, Path]:
    """runner_test.go's text and the directory holding act's pkg/ testdata."""
    if (path / TEST_FILE).is_file():
        return (path / TEST_FILE).read_text(encoding="utf-8"), path
    git = ["git", f"--git-dir={path}"]
    listing = subprocess.run(
        [*git, "ls-tree", "-r", "HEAD", TESTDATA, MODEL_TESTDATA, TEST_FILE],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in listing.splitlines():
        meta, _, name = line.partition("\t")
        mode, kind, sha = meta.split()
        if kind != "blob" or "/node_modules/" in name:
            continue
        blob = subprocess.run([*git, "cat-file", "blob", sha], capture_output=True, check=False)
        if blob.returncode != 0:
            continue  # a large file the snapshot does not hold
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob.stdout)
        if mode == "100755":
            target.chmod(0o755)
    return (into / TEST_FILE).read_text(encoding="utf-8"), into


def table_fixtures(test_source: str, table: str) -> list[Fixture]:
    """The rows of a test's table that run on Linux (commented-out rows left out)."""
    start = test_source.index(f"func {TABLES[table]}(")
    end = test_source.index("\nfunc ", start + 1)
    body = test_source[start:end]
    windows = body.find('if runtime.GOOS == "windows" {')
    if windows >= 0:
        other = body.index("} else {", windows)
        body = body[:windows] + body[other:]
    fixtures: list[Fixture] = []
    for line in body.splitlines():
        row = _ROW.search(line.strip())
        if row is None or line.strip().startswith("//"):
            continue
        workdir, name, event, error, rest = row.groups()
        secrets = () if rest.strip().endswith("secrets") else _secrets(rest)
        base = TESTDATA if workdir == "workdir" else MODEL_TESTDATA
        fixtures.append(
            Fixture(
                name=name,
                event=event,
                act_error=error,
                base=base,
                secrets=secrets,
                event_file=table == "run",
            )
        )
    return fixtures


def _secrets(fields: str) -> tuple[tuple[str, str], ...]:
    maps = _MAP.findall(fields)
    return tuple(_PAIR.findall(maps[-1])) if maps else ()


def why_excluded(act: Path, fixture: Fixture) -> str | None:
    """What a fixture needs that a host run without network and Docker lacks."""
    testdata = act / fixture.base
    directory = testdata / fixture.name
    if (directory / "config" / "config.yml").is_file():
        return "act's action cache (config/config.yml: local-repositories)"
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in _workflows(directory)]
    seen: set[Path] = set()
    while texts:
        text = texts.pop()
        for uses in _USES.findall(text):
            if uses.startswith("docker://"):
                return f"Docker ({uses})"
            if uses.startswith("./"):
                action = (testdata / uses).resolve()
                for name in ("action.yml", "action.yaml"):
                    if (action / name).is_file() and action not in seen:
                        seen.add(action)
                        texts.append((action / name).read_text(encoding="utf-8", errors="replace"))
                continue
            if "${{" in uses or uses.lower().startswith("actions/checkout@"):
                continue
            return f"the network (remote action {uses})"
        if any(using == "docker" for using in _USING.findall(text)):
            return "Docker (a Docker action)"
        if _CONTAINER_JOB.search(text):
            return "Docker (a job with container: or services:)"
        if "Dockerfile" in text:
            return "Docker (it writes a Dockerfile and uses it as an action)"
    return None


def _workflows(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())


def run_fixture(act: Path, fixture: Fixture, timeout: float) -> Outcome:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="stax-act-") as scratch:
        workdir = Path(scratch) / "testdata"
        shutil.copytree(act / fixture.base, workdir, symlinks=True)
        _make_repository(workdir)
        verdict, notes = "success", []
        ran = 0
        for workflow in _workflows(workdir / fixture.name):
            try:
                on = load_workflow(workflow).on
            except WorkflowErrors as exc:
                verdict = "failure"
                notes.append(f"{workflow.name}: invalid: {exc.errors[0]}")
                continue
            if fixture.event not in on:
                continue
            ran += 1
            code, note = _stax_run(workdir, workflow, fixture, timeout)
            if code != 0:
                verdict = "failure"
                notes.append(f"{workflow.name}: {note}")
        if ran == 0 and not notes:
            notes.append(f"no workflow runs on {fixture.event}")
    return Outcome(
        fixture=fixture,
        verdict=verdict,
        seconds=time.monotonic() - started,
        note="; ".join(notes),
    )


def _make_repository(workdir: Path) -> None:
    """A git repository as act's own checkout is: origin nektos/act, one commit."""
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_NAME": "act",
        "GIT_AUTHOR_EMAIL": "act@example.com",
        "GIT_COMMITTER_NAME": "act",
        "GIT_COMMITTER_EMAIL": "act@example.com",
    }
    for args in (
        ["init", "-q", "-b", "master"],
        ["remote", "add", "origin", "https://github.com/nektos/act.git"],
        ["add", "-A"],
        ["commit", "-q", "-m", "fixtures"],
    ):
        subprocess.run(["git", *args], cwd=workdir, env=env, check=True, capture_output=True)


def _stax_run(workdir: Path, workflow: Path, fixture: Fixture, timeout: float) -> tuple[int, str]:
    """(exit code, the first error stax reported) of one `stax run`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("STAX")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "runner", "run", "--local", "--json", "-e", fixture.event]
    command.extend(ACT_DEFAULTS)
    for key, value in fixture.secrets:
        command.extend(["--secret", f"{key}={value}"])
    event_file = workdir / fixture.name / "event.json"
    if fixture.event_file and event_file.is_file():
        command.extend(["--eventpath", str(event_file)])
    try:
        done = subprocess.run(
            [*command, str(workflow)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return 1, f"timed out after {timeout:g} s"
    return done.returncode, _first_error(done.stdout, done.stderr)


def _first_error(stdout: str, stderr: str) -> str:
    for line in stdout.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        data = event.get("data") or {}
        if event.get("type") == "step.annotation" and data.get("level") == "error":
            return str(data.get("message", ""))[:160]
        job = data.get("job") or {}
        failed = event.get("type") == "job.completed" and job.get("conclusion") == "failure"
        if failed and job.get("error"):
            return str(job["error"])[:160]
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("act", type=Path, help="a checkout of nektos/act (work tree or git dir)")
    parser.add_argument("--table", choices=sorted(TABLES), default="host", help="which table")
    parser.add_argument("--only", nargs="*", default=[], help="run only these fixtures")
    parser.add_argument("--all", action="store_true", help="run the excluded fixtures too")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per workflow")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stax-act-source-") as source:
        test_source, act = read_act(args.act.resolve(), Path(source))
        fixtures = table_fixtures(test_source, args.table)
        if args.only:
            fixtures = [f for f in fixtures if f.name in args.only]
        outcomes: list[Outcome] = []
        for fixture in fixtures:
            reason = why_excluded(act, fixture)
            if reason and not args.all:
                outcomes.append(Outcome(fixture, "excluded", 0.0, f"needs {reason}"))
            else:
                outcomes.append(run_fixture(act, fixture, args.timeout))
            _print_row(outcomes[-1])
    compared = [o for o in outcomes if o.verdict != "excluded"]
    matched = [o for o in compared if o.verdict == o.fixture.expected]
    share = 100 * len(matched) / len(compared) if compared else 0.0
    print(
        f"\n{len(fixtures)} fixtures ({TABLES[args.table]}), "
        f"{len(fixtures) - len(compared)} excluded; "
        f"stax reaches act's verdict on {len(matched)} of {len(compared)} ({share:.1f}%)"
    )
    return 0


def _print_row(outcome: Outcome) -> None:
    fixture = outcome.fixture
    if outcome.verdict == "excluded":
        mark = "-"
    else:
        mark = "=" if outcome.verdict == fixture.expected else "≠"
    note = outcome.note if mark != "=" or outcome.verdict == "failure" else ""
    print(
        f"{mark} {fixture.name:<40} {fixture.event:<18} act: {fixture.expected:<8} "
        f"stax: {outcome.verdict:<8} {outcome.seconds:5.1f}s  {note}",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
