"""Seed 002 on a real daemon: /v1/skills, /execute, /execute/stream, executions; auth, limits."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import trio

from runner.config import AuthSettings, RateLimitSettings
from tests.api.runner_events.test_stream import collect
from tests.sse_client import parse_events, read_frames

if TYPE_CHECKING:
    from tests.api.conftest import Daemon, DaemonFactory

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "skills"
KEY = {"x-api-key": "KEY"}
WIRE_KEYS = ["type", "message", "timestamp", "step_id", "trace_id", "data"]
RESULT_KEYS = {"skill_id", "status", "outputs", "trace_id"}

TEST_SKILLS = {
    # Every kind of wire event in one execution (it ends failed).
    "all": """
        id: test.all
        inputs:
          text: {type: string, default: hello}
        steps:
          - id: ok
            run: echo "said=$TEXT" >> "$GITHUB_OUTPUT"
            env: {TEXT: "${{ inputs.text }}"}
          - id: skipped
            if: inputs.text == 'never'
            run: echo no
          - id: gated
            run: exit 7
            gate: {fallback: {value: fallback}}
          - id: broken
            run: echo "about to fail"; exit 1
          - id: cleanup
            if: always()
            run: echo cleanup
        outputs:
          said: ${{ steps.ok.outputs.said }}
          value: ${{ steps.gated.outputs.value }}
    """,
    # Runs until the file named by `go` exists.
    "wait": """
        id: test.wait
        inputs:
          go: {type: string, required: true}
        steps:
          - id: wait
            run: while [ ! -e "$GO" ]; do sleep 0.02; done; echo "waited=yes" >> "$GITHUB_OUTPUT"
            env: {GO: "${{ inputs.go }}"}
        outputs:
          waited: ${{ steps.wait.outputs.waited }}
    """,
    # The skill seed 002's samples call.
    "my": """
        id: my.skill
        description: The seed's sample skill
        inputs:
          text: {type: string, required: true}
        steps:
          - id: analyze
            run: echo "summary=$(printf '%s' "$TEXT" | wc -w) words" >> "$GITHUB_OUTPUT"
            env: {TEXT: "${{ inputs.text }}"}
          - id: enrich
            if: inputs.text == 'enrich me'
            run: echo enriched
        outputs:
          result: ${{ steps.analyze.outputs.summary }}
    """,
}


def write_test_skills(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in TEST_SKILLS.items():
        (directory / f"{name}.yml").write_text(textwrap.dedent(text))
    return directory


async def skills_daemon(factory: DaemonFactory, tmp_path: Path, **overrides: Any) -> Daemon:
    skills = write_test_skills(tmp_path / "test-skills")
    overrides.setdefault("auth", AuthSettings(tokens=("KEY",)))
    return await factory(skills_dirs=(skills, EXAMPLES), **overrides)


@pytest.fixture
async def daemon(daemon_factory: DaemonFactory, tmp_path: Path) -> Daemon:
    return await skills_daemon(daemon_factory, tmp_path)


async def stream(
    client: httpx.AsyncClient, skill_id: str, inputs: dict[str, Any], **kwargs: Any
) -> tuple[httpx.Response, list[tuple[str, dict[str, Any]]]]:
    """POST /execute/stream and read it to its end (it must end after `done`)."""
    with trio.fail_after(20):
        async with client.stream(
            "POST",
            f"/v1/skills/{skill_id}/execute/stream",
            json={"inputs": inputs},
            headers=kwargs.pop("headers", KEY),
            **kwargs,
        ) as response:
            body = (await response.aread()).decode()
    frames = []
    for sse in parse_events(body):
        assert sse.id == ""  # no id: (a POST cannot be resumed)
        # One line of compact JSON, exactly as json.dumps writes it.
        assert sse.data == json.dumps(sse.json(), separators=(",", ":"), ensure_ascii=False)
        frames.append((sse.event, sse.json()))
    return response, frames


async def test_every_event_type_and_done_on_failure(daemon: Daemon) -> None:
    async with daemon.client() as client:
        response, frames = await stream(client, "test.all", {"text": "hi"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["connection"] == "keep-alive"
    assert [(event, data.get("step_id")) for event, data in frames] == [
        ("skill_start", None),
        ("step_start", "ok"),
        ("step_completed", "ok"),
        ("step_skipped", "skipped"),
        ("step_start", "gated"),
        ("step_degraded", "gated"),
        ("step_start", "broken"),
        ("step_failed", "broken"),
        ("step_start", "cleanup"),
        ("step_completed", "cleanup"),
        ("skill_completed", None),
        ("done", None),
    ]
    trace = frames[0][1]["trace_id"]
    for event, data in frames[:-1]:
        assert list(data) == WIRE_KEYS
        assert data["type"] == event
        assert data["trace_id"] == trace
        assert time.strptime(data["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    by_step = {(e, d.get("step_id")): d for e, d in frames}
    assert frames[0][1]["message"] == "Starting skill 'test.all'."
    assert frames[0][1]["data"] == {
        "skill_id": "test.all",
        "inputs": {"text": "hi"},
        "execution_channel": "http-stream",
    }
    assert by_step[("step_start", "ok")]["message"] == "Starting step 'ok'."
    assert by_step[("step_start", "ok")]["data"] is None
    assert by_step[("step_completed", "ok")]["message"] == "Step 'ok' completed."
    assert by_step[("step_completed", "ok")]["data"] == {"produced_output": {"said": "hi"}}
    assert by_step[("step_skipped", "skipped")]["data"] == {"condition": "inputs.text == 'never'"}
    degraded = by_step[("step_degraded", "gated")]["data"]
    assert degraded["gate"] == "allowed-exit-codes"
    assert degraded["produced_output"] == {"value": "fallback"}
    assert by_step[("step_failed", "broken")]["message"] == (
        "Step 'broken' failed: Process completed with exit code 1."
    )
    assert frames[-2][1]["data"]["status"] == "failed"
    done = frames[-1][1]
    assert done == {
        "type": "done",
        "skill_id": "test.all",
        "status": "failed",
        "outputs": {"said": "hi", "value": "fallback"},
        "trace_id": trace,
    }


async def test_done_on_success_is_the_execute_response(daemon: Daemon) -> None:
    async with daemon.client() as client:
        _, frames = await stream(client, "text.report", {"text": "great and fast"})
        done = frames[-1][1]
        assert [e for e, _ in frames][-2:] == ["skill_completed", "done"]
        assert done["status"] == "completed"
        assert done["outputs"] == {
            "report": "great and fast [positive]",
            "label": "positive",
            "words": "3",
        }
        response = await client.post(
            "/v1/skills/text.report/execute",
            json={"inputs": {"text": "great and fast"}},
            headers=KEY,
        )
        assert response.status_code == 200
        result = response.json()
        assert set(result) == RESULT_KEYS
        assert {k: v for k, v in done.items() if k not in ("type", "trace_id")} == {
            k: v for k, v in result.items() if k != "trace_id"
        }
        assert result["trace_id"] != done["trace_id"]
        # A degraded execution says so.
        degraded = await client.post(
            "/v1/skills/text.classify/execute",
            json={"inputs": {"text": "broken", "lexicon": "none.txt"}},
            headers=KEY,
        )
        assert degraded.json()["status"] == "degraded"
        assert degraded.json()["outputs"] == {"label": "neutral", "score": "0", "degraded": True}

        stored = (await client.get(f"/v1/skills/executions/{done['trace_id']}")).json()
        assert stored["execution_channel"] == "http-stream"
        assert stored["status"] == "completed"
        assert stored["outputs"] == done["outputs"]
        assert [e["type"] for e in stored["events"]] == [e for e, _ in frames[:-1]]
        assert stored["events"] == [d for _, d in frames[:-1]]
        plain = (await client.get(f"/v1/skills/executions/{result['trace_id']}")).json()
        assert plain["execution_channel"] == "http"
        assert plain["inputs"] == {"text": "great and fast", "words": 8, "lexicon": "lexicon.txt"}
        assert plain["run_id"] == result["trace_id"].split("-")[0]

        # The execution is a run like any other: in /api/runs and in /api/events.
        run = (await client.get(f"/api/runs/{plain['run_id']}")).json()
        assert (run["name"], run["event"], run["conclusion"]) == (
            "skill:text.report",
            "skill",
            "success",
        )
        events = await collect(client, {"runId": plain["run_id"], "lastEventId": "0"})
        kinds = [event for event, _, _ in events]
        assert {"skill.started", "skill.step", "skill.completed"} <= set(kinds)


async def test_auth(daemon_factory: DaemonFactory, tmp_path: Path) -> None:
    daemon = await skills_daemon(daemon_factory, tmp_path)
    body = {"inputs": {"text": "hi"}}
    async with daemon.client() as client:
        for path in ("/v1/skills/my.skill/execute", "/v1/skills/my.skill/execute/stream"):
            for headers in ({}, {"x-api-key": "wrong"}, {"Authorization": "Bearer wrong"}):
                response = await client.post(path, json=body, headers=headers)
                assert response.status_code == 401, (path, headers)
                assert response.json()["error"]["type"] == "authentication_error"
                assert "x-ratelimit-limit" not in response.headers
        ok = await client.post("/v1/skills/my.skill/execute", json=body, headers=daemon.auth)
        assert ok.status_code == 200  # the daemon's own token, as Bearer
        ok = await client.post(
            "/v1/skills/my.skill/execute", json=body, headers={"x-api-key": daemon.address.token}
        )
        assert ok.status_code == 200
        ok = await client.post("/v1/skills/my.skill/execute", json=body, headers=KEY)
        assert ok.status_code == 200  # a key from stax.toml
        assert (await client.get("/v1/skills")).status_code == 200  # reads are open
    locked = await skills_daemon(
        daemon_factory, tmp_path / "locked", auth=AuthSettings(read="token", tokens=("KEY",))
    )
    async with locked.client() as client:
        assert (await client.get("/v1/skills")).status_code == 401
        assert (await client.get("/v1/skills/my.skill")).status_code == 401
        assert (await client.get("/v1/skills", headers=KEY)).status_code == 200


async def test_rate_limit_answers_429_with_its_headers(
    daemon_factory: DaemonFactory, tmp_path: Path
) -> None:
    daemon = await skills_daemon(
        daemon_factory, tmp_path, rate_limit=RateLimitSettings(requests=3, window_seconds=60)
    )
    body = {"inputs": {"text": "hi"}}
    async with daemon.client() as client:
        remaining = []
        for _ in range(2):
            response = await client.post("/v1/skills/my.skill/execute", json=body, headers=KEY)
            assert response.status_code == 200
            remaining.append(response.headers["x-ratelimit-remaining"])
        response, frames = await stream(client, "my.skill", {"text": "hi"})
        assert frames[-1][0] == "done"
        remaining.append(response.headers["x-ratelimit-remaining"])
        assert remaining == ["2", "1", "0"]
        assert response.headers["x-ratelimit-limit"] == "3"
        reset = int(response.headers["x-ratelimit-reset"])
        assert time.time() < reset <= time.time() + 61

        for path in ("/v1/skills/my.skill/execute", "/v1/skills/my.skill/execute/stream"):
            refused = await client.post(path, json=body, headers=KEY)
            assert refused.status_code == 429, path
            assert refused.headers["content-type"] == "application/json"  # no stream began
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            assert refused.headers["x-ratelimit-limit"] == "3"
            assert refused.headers["x-ratelimit-remaining"] == "0"
            assert int(refused.headers["x-ratelimit-reset"]) >= reset - 1
            assert refused.json()["error"]["type"] == "rate_limit_error"
        # The limit is per key: the daemon's own token still has its three.
        other = await client.post("/v1/skills/my.skill/execute", json=body, headers=daemon.auth)
        assert other.status_code == 200
        assert other.headers["x-ratelimit-remaining"] == "2"


async def test_404_422_400(daemon: Daemon) -> None:
    async with daemon.client() as client:
        for suffix in ("execute", "execute/stream"):
            unknown = await client.post(f"/v1/skills/no.such/{suffix}", json={}, headers=KEY)
            assert unknown.status_code == 404
            assert unknown.json()["error"]["type"] == "not_found_error"
            assert "x-ratelimit-remaining" in unknown.headers

            invalid = await client.post(
                f"/v1/skills/text.summarize/{suffix}",
                json={"inputs": {"max_words": "many", "colour": "red"}},
                headers=KEY,
            )
            assert invalid.status_code == 422
            error = invalid.json()["error"]
            assert error["type"] == "invalid_request_error"
            assert error["problems"] == [
                "input 'max_words': expected a whole number, got a string ('many')",
                "unknown input 'colour' (declared: text, max_words, shout)",
                "input 'text' is required",
            ]
            not_object = await client.post(
                f"/v1/skills/text.summarize/{suffix}", json={"inputs": ["x"]}, headers=KEY
            )
            assert not_object.status_code == 422

            bad = await client.post(
                f"/v1/skills/text.summarize/{suffix}",
                content=b'{"inputs": ',
                headers={**KEY, "Content-Type": "application/json"},
            )
            assert bad.status_code == 400
            assert bad.json()["error"]["message"].startswith("the body is not valid JSON")
        assert (await client.get("/v1/skills/no.such")).status_code == 404
        assert (await client.get("/v1/skills/executions/nope")).status_code == 404
        missing = await client.get("/v1/skills/executions/0123abcd-0123456789ab")
        assert missing.status_code == 404
        # Nothing was started by any of these.
        assert (await client.get("/api/runs")).json()["runs"] == []


async def test_a_client_that_leaves_mid_stream_leaves_the_execution_running(
    daemon: Daemon, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    async with daemon.client() as client:
        frames = await read_frames(
            client,
            "POST",
            "/v1/skills/test.wait/execute/stream",
            json={"inputs": {"go": str(go)}},
            headers=KEY,
            until=lambda frame: frame.data["type"] == "step_start",
        )
        trace = frames[-1].data["trace_id"]
        # The connection is closed; the step still waits for its file.
        run_id = trace.split("-")[0]
        running = (await client.get(f"/v1/skills/executions/{trace}")).json()
        assert running["status"] == "running"
        go.touch()
        await collect(client, {"runId": run_id, "lastEventId": "0"})  # until run.completed
        stored = (await client.get(f"/v1/skills/executions/{trace}")).json()
    assert stored["status"] == "completed"
    assert stored["outputs"] == {"waited": "yes"}
    assert stored["execution_channel"] == "http-stream"
    assert [e["type"] for e in stored["events"]] == [
        "skill_start",
        "step_start",
        "step_completed",
        "skill_completed",
    ]


async def test_list_and_show(daemon: Daemon) -> None:
    async with daemon.client() as client:
        listing = (await client.get("/v1/skills")).json()
        assert [s["id"] for s in listing["skills"]] == [
            "my.skill",
            "test.all",
            "test.wait",
            "text.classify",
            "text.report",
            "text.summarize",
        ]
        assert listing["errors"] == []
        shown = (await client.get("/v1/skills/text.classify")).json()
    assert shown["version"] == "1.0"
    assert shown["inputs"]["text"] == {
        "type": "string",
        "required": True,
        "default": None,
        "description": "The text to classify",
    }
    assert shown["input_schema"] == {
        "type": "object",
        "properties": {
            "text": {"type": "string", "description": "The text to classify"},
            "lexicon": {
                "type": "string",
                "description": "The word list (word and score per line), relative to this "
                "skill's folder",
                "default": "lexicon.txt",
            },
        },
        "required": ["text"],
        "additionalProperties": False,
    }
    assert shown["steps"][0]["gate"] == {
        "timeout-seconds": 10.0,
        "max-output-bytes": 65536,
        "allowed-exit-codes": [0],
        "on-trip": "degrade",
        "fallback": {"label": "neutral", "score": "0"},
    }
    assert set(shown["outputs"]) == {"label", "score", "degraded"}
