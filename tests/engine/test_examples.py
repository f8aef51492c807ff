"""Every example in examples/ runs, ends as documented and prints what it promises."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import trio

from runner.dotenv import read_dotenv
from runner.engine import RunRequest, WorkflowRun
from runner.events.sink import ListSink
from runner.model import load_workflow
from tests.engine.conftest import RunResult

if TYPE_CHECKING:
    from runner.config import Settings

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


async def _run(settings: Settings, name: str, **request: Any) -> RunResult:
    sink = ListSink()
    run = WorkflowRun(
        RunRequest(workflow=load_workflow(EXAMPLES / name), workdir=REPO, **request), settings, sink
    )
    run.prepare()
    with trio.fail_after(30):
        record = await run.run()
    return RunResult(record=record, events=sink.events)


def test_every_example_workflow_has_a_test() -> None:
    tested = {
        "hello.yml",
        "matrix.yml",
        "dag.yml",
        "composite.yml",
        "cleanup.yml",
        "secrets.yml",
        "dispatch.yml",
        "reusable.yml",
    }
    assert {p.name for p in EXAMPLES.glob("*.yml")} == tested


async def test_hello(settings: Settings) -> None:
    result = await _run(settings, "hello.yml")
    assert result.conclusion == "success"
    assert "Hello from stax on Linux" in result.output("greet")
    assert "Workspace already available" in result.output("greet", 1)
    assert "##[group]Environment" in result.output("greet", 3)
    assert "event: push" in result.output("greet", 3)


async def test_matrix(settings: Settings) -> None:
    result = await _run(settings, "matrix.yml")
    assert result.conclusion == "success"
    assert [job.name for job in result.record.jobs.values()] == [
        "test (3.11, ubuntu-latest)",
        "test (3.12, ubuntu-latest, true)",
        "test (3.12, ubuntu-22.04)",
    ]
    assert result.output("test.2", 1) == ["testing python 3.12 on ubuntu-latest (1/3)"]
    assert result.output("test.2", 2) == ["coverage for 3.12"]
    assert result.step_conclusions("test.1") == ["success", "skipped"]


async def test_matrix_filtered(settings: Settings) -> None:
    result = await _run(settings, "matrix.yml", matrix_filters={"python": ("3.11",)})
    assert result.conclusion == "success"
    assert [job.name for job in result.record.jobs.values()] == ["test (3.11, ubuntu-latest)"]


async def test_dag(settings: Settings) -> None:
    result = await _run(settings, "dag.yml")
    assert result.conclusion == "success"
    assert result.output("test", 1) == ["testing build 1.4.2"]
    assert result.output("release", 1) == ["releasing 1.4.2 (tests success)"]
    assert result.job("build").outputs == {"version": "1.4.2"}


async def test_composite(settings: Settings) -> None:
    result = await _run(settings, "composite.yml")
    assert result.conclusion == "success"
    assert result.output("greet", 1) == ["Hello, stax!"]
    assert result.output("greet", 2) == ["Hi, world!"]
    assert result.output("greet", 3) == ["first said: Hello, stax!", "last greeted: world"]


async def test_cleanup(settings: Settings) -> None:
    result = await _run(settings, "cleanup.yml")
    assert result.conclusion == "failure"
    assert result.step_conclusions("build") == [
        "success",
        "failure",
        "skipped",
        "success",
        "success",
    ]
    assert "##[error]Process completed with exit code 3." in result.output("build", 2)
    assert result.output("build", 4) == ["cleaning up after 'failure'"]
    assert result.output("build", 5) == ["job status is failure"]


async def test_secrets(settings: Settings) -> None:
    secrets = read_dotenv(EXAMPLES / ".secrets.example")
    result = await _run(settings, "secrets.yml", secrets=secrets)
    assert result.conclusion == "success"
    assert result.output("use-secret", 1) == ["the token is ***", "its length is 18"]
    assert result.output("use-secret", 2) == ["the session is ***"]
    assert secrets["API_TOKEN"] not in result.all_json()


async def test_dispatch(settings: Settings) -> None:
    result = await _run(
        settings,
        "dispatch.yml",
        event_name="workflow_dispatch",
        inputs={"environment": "production", "replicas": "3", "dry-run": "false"},
    )
    assert result.conclusion == "success"
    assert result.output("deploy", 1) == [
        "deploying to production with 3 replica(s)",
        "mode: for real",
    ]


async def test_dispatch_rejects_a_bad_choice(settings: Settings) -> None:
    from runner.errors import RunError

    with pytest.raises(RunError, match="expected one of staging, production"):
        await _run(
            settings, "dispatch.yml", event_name="workflow_dispatch", inputs={"environment": "moon"}
        )


async def test_reusable(settings: Settings) -> None:
    result = await _run(settings, "reusable.yml", secrets={"signing-key": "k3y-value"})
    assert result.conclusion == "success"
    assert result.output("build-app.build", 1) == [
        "building app (optimize: true)",
        "signing with ***",
    ]
    assert result.output("publish", 1) == ["publishing app.tar.gz"]
