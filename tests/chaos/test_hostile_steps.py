"""What a workflow, its steps and a run request send cannot take a real daemon down.

Each case is a run whose input once killed the daemon (and every run in it). Here one
daemon takes them all, one after the other: each run ends as the case says, and the
daemon is still up and serving at the end.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.expressions.test_limits import nested_format
from tests.real_daemon import Project


@dataclass(frozen=True)
class Case:
    workflow: str
    conclusion: str = "success"
    body: dict[str, Any] = field(default_factory=dict)
    log: str | None = None  # how a line of the first step's log must start


CASES = {
    # A mask that is a key or a status value: the store's writer asserted, the daemon died.
    "add-mask-run": Case(
        """
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  echo "::add-mask::run"
                  echo "::add-mask::e"
                  echo "::add-mask::completed"
                  echo "the run is completed"
        """,
        log="th*** *** is ***",
    ),
    "one-character-secret": Case(
        """
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: echo "user $ONE"
                env:
                  ONE: ${{ secrets.ONE }}
        """,
        body={"secrets": {"ONE": "u"}},
        log="***ser ***",
    ),
    # `line=²` passed isdigit(), then int() raised: the daemon died.
    "annotation-line-not-a-number": Case(
        """
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  echo "::error line=²::x"
                  echo "::warning col=٣,line=$(printf '7%.0s' $(seq 1 5000))::y"
                  echo "after"
        """,
        log="after",
    ),
    # A NUL in what a step's environment would hold: the spawn raised, the daemon died.
    "nul-in-github-env": Case(
        """
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: printf 'X=a\\0b\\n' >> "$GITHUB_ENV"
              - run: echo "never"
        """,
        conclusion="failure",
        log="##[error]$GITHUB_ENV: environment variable 'X': its value holds a NUL character, "
        "which no process environment can carry",
    ),
    # The API refuses a NUL in the request's inputs (422): this one comes from the
    # workflow's own default, which no request checks.
    "nul-in-dispatch-input": Case(
        """
        on:
          workflow_dispatch:
            inputs:
              text:
                type: string
                default: "a\\0b"
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: echo "$TEXT"
                env:
                  TEXT: ${{ inputs.text }}
        """,
        conclusion="failure",
        body={"event": "workflow_dispatch"},
        log="##[error]the step's environment cannot be set: environment variable 'TEXT': its "
        "value holds a NUL character, which no process environment can carry",
    ),
    # 40 nested format('{0}{0}', ...): 723 characters growing toward 2**40.
    "expression-bomb": Case(
        f"""
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{{{ {nested_format(40)} }}}}"
        """,
        conclusion="failure",
        log="##[error]format: the result would be longer than 1,048,576 characters, the most "
        "an expression may build at position",
    ),
    # A mask on every line: the masker's regexes were compiled for each, minutes of it.
    "add-mask-flood": Case(
        """
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  for i in $(seq 1 3000); do
                    echo "::add-mask::secret-$i-value"
                    echo "secret-$i-value"
                  done
                  echo done
        """,
        log="done",
    ),
}


def _bounded_memory() -> None:
    """In the daemon (and so its engine): a bomb that got past the bound fails the test
    with a MemoryError instead of taking this machine's memory."""
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, resource.RLIM_INFINITY))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Any:
    project = Project(tmp_path_factory.mktemp("hostile"))
    for name, case in CASES.items():
        project.workflow(name, case.workflow)
    daemon = project.serve(preexec_fn=_bounded_memory)
    try:
        yield project, daemon
    finally:
        daemon.kill()
        daemon.wait(timeout=10)
        for stream in (daemon.stdout, daemon.stderr):
            if stream:
                stream.close()


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_run_ends_and_the_daemon_stays_up(hostile: Any, name: str) -> None:
    project, daemon = hostile
    case = CASES[name]
    response = project.post("/api/runs", {"workflow": name, **case.body})
    assert response.status_code == 201, response.text
    run_id = response.json()["runId"]
    run = project.wait_run(run_id)
    assert run["conclusion"] == case.conclusion, run
    assert daemon.poll() is None
    job = run["jobs"][0]["id"]
    log = project.get(f"/api/runs/{run_id}/jobs/{job}/steps/1/log").text.splitlines()
    if case.log is not None:
        assert any(line.startswith(case.log) for line in log), log
    # Every listing still reads as JSON.
    assert project.get("/api/runs").json()
    assert project.get(f"/api/runs/{run_id}").json()["status"] == "completed"
