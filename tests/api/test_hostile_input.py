"""Hostile input over HTTP: each refused with a 4xx in its family's error format, naming
what it refuses, with nothing started and the daemon still serving.

The families' error bodies:
    REST (/api)           {"error": {"type", "message"}}
    skills (/v1/skills)   {"error": {"type", "message", "problems"?}}
    sessions              {"type": "error", "error": {"type", "message"}}
    agent (/threads)      422: {"detail": [{"loc", "msg", "type"}]} (seed 004);
                          else {"error", "detail"}
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from runner.api.openapi import openapi_document
from runner.config import AuthSettings
from tests.api.agent.test_routes import assert_validation_error
from tests.api.runs.test_routes import wait_for_run
from tests.test_json_text import strict_json

if TYPE_CHECKING:
    import httpx

    from tests.api.conftest import Daemon, DaemonFactory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "skills"
# Every input ends up in a step's environment.
DISPATCH = """
    on:
      workflow_dispatch:
        inputs:
          s: {type: string, default: x}
          n: {type: number, default: 1}
    jobs:
      a:
        runs-on: ubuntu-latest
        env:
          S: ${{ inputs.s }}
          N: ${{ inputs.n }}
          MESSAGE: ${{ github.event.head_commit.message }}
        steps:
          - run: echo "$S $N $MESSAGE"
"""
NUL, SURROGATE = "a\x00b", "a\ud800b"


@pytest.fixture
async def daemon(daemon_factory: DaemonFactory) -> Daemon:
    daemon = await daemon_factory(skills_dirs=(EXAMPLES,), auth=AuthSettings(tokens=("KEY",)))
    daemon.write_workflow("dispatch.yml", DISPATCH)
    return daemon


def raw_json(value: Any) -> bytes:
    """JSON as a hostile client may write it: lone surrogates as escapes, NaN as NaN."""
    return json.dumps(value).encode()


async def post(daemon: Daemon, client: httpx.AsyncClient, path: str, body: Any) -> httpx.Response:
    return await client.post(
        path,
        content=body if isinstance(body, bytes) else raw_json(body),
        headers={**daemon.auth, "Content-Type": "application/json"},
    )


async def nothing_started(daemon: Daemon, client: httpx.AsyncClient) -> None:
    runs = await client.get("/api/runs")
    assert strict_json(runs.text)["runs"] == []
    health = (await client.get("/api/health")).json()
    assert (health["status"], health["runs_active"]) == ("ok", 0)


def rest_message(response: httpx.Response, status: int = 422) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"type", "message"}, body
    message: str = body["error"]["message"]
    return message


def skills_message(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["problems"] == [error["message"]]
    message: str = error["message"]
    return message


# -- defect 3: what no process environment can carry --------------------------------------
RUN_BODIES: list[tuple[dict[str, Any], str, str]] = [
    ({"env": {"A\x00": "x"}}, "env['A\\x00']: the name holds a NUL", "NUL name"),
    ({"env": {"A\ud800": "x"}}, "env['A\\ud800']: the name holds a lone surrogate", "surrogate"),
    ({"env": {"A=B": "x"}}, "env['A=B']: the name holds \"=\"", "= in a name"),
    ({"env": {"": "x"}}, "env['']: the name is empty", "empty name"),
    ({"env": {"A": NUL}}, "env.A: the value holds a NUL", "NUL value"),
    ({"env": {"A": SURROGATE}}, "env.A: the value holds a lone surrogate (U+D800)", "surrogate"),
    ({"inputs": {"s": NUL}}, "inputs.s: the value holds a NUL", "dispatch input"),
    ({"inputs": {"s": SURROGATE}}, "inputs.s: the value holds a lone surrogate", "input"),
    ({"secrets": {"T": NUL}}, "secrets.T: the value holds a NUL", "secret"),
    ({"vars": {"V": SURROGATE}}, "vars.V: the value holds a lone surrogate", "var"),
    (
        {"event": "push", "eventPayload": {"head_commit": {"message": NUL}}},
        "eventPayload.head_commit.message: the value holds a NUL",
        "event payload",
    ),
    ({"workdir": "/tmp\x00"}, "workdir: the value holds a NUL", "workdir"),
]


@pytest.mark.parametrize(
    ("extra", "message"), [c[:2] for c in RUN_BODIES], ids=[c[2] for c in RUN_BODIES]
)
async def test_post_runs_refuses_what_no_environment_can_carry(
    daemon: Daemon, extra: dict[str, Any], message: str
) -> None:
    async with daemon.client() as client:
        response = await post(daemon, client, "/api/runs", {"workflow": "dispatch", **extra})
        assert message in rest_message(response)
        await nothing_started(daemon, client)


async def test_skills_and_agent_runs_refuse_what_no_environment_can_carry(daemon: Daemon) -> None:
    async with daemon.client() as client:
        for path in (
            "/v1/skills/text.summarize/execute",
            "/v1/skills/text.summarize/execute/stream",
        ):
            for text, problem in ((NUL, "a NUL"), (SURROGATE, "a lone surrogate")):
                response = await post(daemon, client, path, {"inputs": {"text": text}})
                assert skills_message(response).startswith(
                    f"inputs.text: the value holds {problem}"
                )
        command = {
            "id": 1,
            "method": "run.start",
            "params": {"assistant_id": "dispatch", "input": {"s": NUL}},
        }
        response = await post(daemon, client, "/threads/t1/commands", command)
        (detail,) = assert_validation_error(response)
        assert detail["loc"] == ["body", "params", "input", "s"]
        assert detail["msg"].startswith("the value holds a NUL")
        # The thread was not even created: the body was refused before the command ran.
        assert (await client.get("/threads/t1", headers=daemon.auth)).status_code == 404
        await nothing_started(daemon, client)


# -- defect 5: numbers JSON cannot carry ------------------------------------------------------
NON_FINITE = [b"1e400", b"-1e400", b"NaN", b"Infinity", b"-Infinity"]


@pytest.mark.parametrize("number", NON_FINITE, ids=[n.decode() for n in NON_FINITE])
async def test_non_finite_numbers_are_refused_at_every_door(daemon: Daemon, number: bytes) -> None:
    async with daemon.client() as client:
        run = b'{"workflow": "dispatch", "inputs": {"n": %s}}' % number
        assert rest_message(await post(daemon, client, "/api/runs", run)).startswith(
            "the body is refused"
        )
        payload = b'{"workflow": "dispatch", "event": "push", "eventPayload": {"x": [%s]}}' % number
        rest_message(await post(daemon, client, "/api/runs", payload))
        skill = b'{"inputs": {"text": "t", "max_words": %s}}' % number
        assert skills_message(
            await post(daemon, client, "/v1/skills/text.summarize/execute", skill)
        ).startswith("the body is refused")
        command = (
            b'{"id": 1, "method": "run.start", "params": {"assistant_id": "dispatch",'
            b' "input": {"n": %s}}}' % number
        )
        (detail,) = assert_validation_error(
            await post(daemon, client, "/threads/t1/commands", command)
        )
        assert detail["loc"] == ["body"]
        await nothing_started(daemon, client)


async def test_a_run_computing_infinity_leaves_every_answer_json(daemon: Daemon) -> None:
    """Refused at the doors, a non-finite number can still be computed by a workflow:
    the store keeps it as null, and every answer about the run stays JSON."""
    daemon.write_workflow(
        "computed.yml",
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            strategy:
              matrix: ${{ fromJSON('{"x":[1e400]}') }}
            steps:
              - run: echo "${{ matrix.x }}"
        """,
    )
    async with daemon.client() as client:
        started = await post(daemon, client, "/api/runs", {"workflow": "computed"})
        assert started.status_code == 201, started.text
        run_id = started.json()["runId"]
        run = await wait_for_run(client, run_id)
        assert run["conclusion"] == "success"
        assert run["jobs"][0]["matrix"] == {"x": "Infinity"}
        listed = strict_json((await client.get("/api/runs")).text)
        assert [r["id"] for r in listed["runs"]] == [run_id]
        strict_json((await client.get(f"/api/runs/{run_id}")).text)
        sessions = await client.get("/v1/sessions", headers=daemon.auth)
        assert [s["metadata"]["run_id"] for s in strict_json(sessions.text)["data"]] == [run_id]


# -- defect 11: malformed input is a 4xx, never a 500 -----------------------------------------
async def completed_run(daemon: Daemon, client: httpx.AsyncClient) -> str:
    started = await post(daemon, client, "/api/runs", {"workflow": "dispatch"})
    assert started.status_code == 201, started.text
    run_id: str = started.json()["runId"]
    await wait_for_run(client, run_id)
    return run_id


async def status_and_body(
    client: httpx.AsyncClient, method: str, path: str, **kwargs: Any
) -> tuple[int, Any]:
    """The status and JSON body of an error; (200, None) for a stream that opened."""
    async with client.stream(method, path, **kwargs) as response:
        if response.headers.get("content-type") == "text/event-stream":
            return response.status_code, None
        return response.status_code, json.loads(await response.aread())


def sessions_error(body: Any) -> str:
    assert body["type"] == "error", body
    assert set(body["error"]) == {"type", "message"}, body
    message: str = body["error"]["message"]
    return message


async def test_malformed_numbers_ids_and_cookies_are_4xx_in_their_family_format(
    daemon: Daemon,
) -> None:
    async with daemon.client() as client:
        run_id = await completed_run(daemon, client)
        session, thread = f"sess_{run_id}", f"sthr_{run_id}"
        auth = daemon.auth
        for query in ({"limit": "²"}, {"before": "²"}, {"limit": "9" * 5000}):
            status, body = await status_and_body(client, "GET", "/api/runs", params=query)
            assert status == 400, body
            assert body["error"]["message"].startswith(f"?{next(iter(query))}= must be")
        for path, query in (
            ("/v1/sessions", {"limit": "²"}),
            ("/v1/sessions", {"page": "²"}),
            ("/v1/sessions", {"page": "9" * 30}),
            (f"/v1/sessions/{session}/threads", {"limit": "²"}),
            (f"/v1/sessions/{session}/threads/{thread}/events", {"limit": "²"}),
            (f"/v1/sessions/{session}/threads/{thread}/events", {"page": "sevt_²_0"}),
            (f"/v1/sessions/{session}/threads/{thread}/events", {"page": f"sevt_{'9' * 30}_0"}),
        ):
            status, body = await status_and_body(client, "GET", path, params=query, headers=auth)
            assert status == 400, (path, query, body)
            sessions_error(body)
        # Byte 0xB2 (latin-1 "²") in Last-Event-ID, on every stream.
        bad_id = {**auth, "Last-Event-ID": b"\xb2"}
        for path in (
            "/api/events",
            f"/api/executions/{run_id}/threads/stream",
        ):
            status, body = await status_and_body(client, "GET", path, headers=bad_id)
            assert status == 400, (path, body)
            assert body["error"]["type"] == "invalid_request_error"
        for path in (
            f"/v1/sessions/{session}/events/stream",
            f"/v1/sessions/{session}/threads/{thread}/stream",
        ):
            status, body = await status_and_body(client, "GET", path, headers=bad_id)
            assert status == 400, (path, body)
            sessions_error(body)
        status, body = await status_and_body(
            client,
            "POST",
            "/threads/t1/stream/events",
            json={"channels": ["values"]},
            headers=bad_id,
        )
        assert status == 400, body
        assert set(body) == {"error", "detail"}
        status, body = await status_and_body(
            client,
            "POST",
            "/v1/skills/text.summarize/execute/stream",
            json={"inputs": {"text": "t"}},
            headers=bad_id,
        )
        assert status == 400, body
        assert body["error"]["type"] == "invalid_request_error"
        # A step number of 5,000 digits is no step (it raised while matching the URL).
        status, body = await status_and_body(
            client, "GET", f"/api/runs/{run_id}/jobs/a/steps/{'9' * 5000}/log"
        )
        assert status == 404, body
        assert body["error"]["type"] == "not_found_error"
        # A cookie that is not ASCII is no session, on every mutating route (it was a 500).
        for value in (b"\xe9\xe9", b"v1.\xb2.x.y", "é".encode()):
            cookie = {"Cookie": b"stax_session=" + value}
            for path in (f"/api/runs/{run_id}/cancel", "/api/runs", "/api/session/links"):
                status, body = await status_and_body(client, "POST", path, headers=cookie)
                assert status == 401, (path, value, body)
                assert body["error"]["type"] == "authentication_error"
        await completed_run(daemon, client)  # and the daemon still runs workflows


DEEP = b"[" * 100_000 + b"]" * 100_000


async def test_a_body_nested_100000_deep_is_422_in_its_family_format(daemon: Daemon) -> None:
    async with daemon.client() as client:
        for path in ("/api/runs", "/api/runs/x/jobs/y/approve"):
            message = rest_message(await post(daemon, client, path, DEEP))
            assert message == "the body is refused: nested deeper than 64 levels"
        for path in (
            "/v1/skills/text.summarize/execute",
            "/v1/skills/text.summarize/execute/stream",
        ):
            message = skills_message(await post(daemon, client, path, DEEP))
            assert message == "the body is refused: nested deeper than 64 levels"
        for path in (
            "/threads",
            "/threads/t1/commands",
            "/threads/t1/stream/events",
            "/assistants/search",
        ):
            (detail,) = assert_validation_error(await post(daemon, client, path, DEEP))
            assert detail == {
                "loc": ["body"],
                "msg": "the body is refused: nested deeper than 64 levels",
                "type": "value_error",
            }
        await nothing_started(daemon, client)


# -- defect 12: an event id the store never issued --------------------------------------------
async def test_every_stream_refuses_an_event_id_the_store_never_issued(daemon: Daemon) -> None:
    """A tab left open on another daemon resumes with an id from that daemon's log: it is
    refused at once (400, as seed 001 says for an id not of the thread), not answered 200
    and then silence until this log's seq catches up."""
    async with daemon.client() as client:
        run_id = await completed_run(daemon, client)
        head = (await client.get("/api/health")).json()["last_seq"]
        later, auth = head + 1000, daemon.auth
        session, thread = f"sess_{run_id}", f"sthr_{run_id}"

        async def refused(method: str, path: str, **kwargs: Any) -> Any:
            status, body = await status_and_body(client, method, path, **kwargs)
            assert status == 400, (path, kwargs, body)
            return body

        for headers, params in (
            ({"Last-Event-ID": str(later)}, {}),
            ({"Last-Event-ID": f"{later}.3"}, {}),
            ({}, {"lastEventId": str(later)}),
        ):
            body = await refused("GET", "/api/events", headers=headers, params=params)
            assert "after the last event this daemon has recorded" in body["error"]["message"]
        body = await refused(
            "GET", f"/api/executions/{run_id}/threads/stream", headers={"Last-Event-ID": str(later)}
        )
        assert "after the last event" in body["error"]["message"]
        for path in (
            f"/v1/sessions/{session}/events/stream",
            f"/v1/sessions/{session}/threads/{thread}/stream",
        ):
            body = await refused("GET", path, headers={**auth, "Last-Event-ID": f"sevt_{later}_0"})
            assert "is not an event of this" in sessions_error(body)
        stride = 1_000_000  # agent_events.STRIDE: wire seq = canonical seq * STRIDE + index
        agent = "/threads/t1/stream/events"
        for body_extra, headers in (
            ({"since": later * stride}, {}),
            ({}, {"Last-Event-ID": str(later * stride)}),
        ):
            body = await refused(
                "POST",
                agent,
                json={"channels": ["values"], **body_extra},
                headers={**auth, **headers},
            )
            assert set(body) == {"error", "detail"}
            assert "after the last event" in body["detail"]
        body = await refused(
            "POST",
            "/v1/skills/text.summarize/execute/stream",
            json={"inputs": {"text": "t"}},
            headers={**auth, "Last-Event-ID": "5"},
        )
        assert "does not resume" in body["error"]["message"]
        # The last id this daemon did issue still resumes, in every dialect.
        for method, path, kwargs in (
            ("GET", "/api/events", {"headers": {"Last-Event-ID": str(head)}}),
            (
                "GET",
                f"/api/executions/{run_id}/threads/stream",
                {"headers": {"Last-Event-ID": "1"}},
            ),
            (
                "POST",
                agent,
                {
                    "json": {"channels": ["values"], "since": head * stride + stride - 1},
                    "headers": auth,
                },
            ),
        ):
            status, _ = await status_and_body(client, method, path, **kwargs)
            assert status == 200, path


# -- the sweep: every route, every parameter it documents, the same classes of input ---------
HOSTILE = ["²", "٣", "9" * 30, "9" * 5000, "a\x00b", "é\ufffd", "-1", "1.5", "sevt_²_0"]
REAL_PARAMS = {
    "runId": "{run}",
    "run_id": "{run}",
    "jobId": "a",
    "job_id": "a",
    "number": "1",
    "session": "sess_{run}",
    "thread": "sthr_{run}",
    "skill_id": "text.summarize",
    "thread_id": "t1",
    "assistant_id": "dispatch",
}


def fill(template: str, names: list[str], run_id: str, **given: str) -> str:
    """An OpenAPI path with its parameters: `given`, else real ones."""
    out = template
    for name in names:
        value = given.get(name, REAL_PARAMS.get(name, "x").format(run=run_id))
        out = out.replace("{" + name + "}", quote(value, safe=""))
    return out


@pytest.mark.slow
async def test_no_route_answers_a_malformed_parameter_with_a_500(daemon: Daemon) -> None:
    """Each route, with each path parameter, query parameter and header its OpenAPI
    document names (and the session cookie) replaced by input of the classes that were
    500s: Unicode digits, huge numbers, NUL, non-ASCII bytes."""
    failures: list[str] = []
    tried = 0
    async with daemon.client() as client:
        run_id = await completed_run(daemon, client)

        async def attempt(method: str, path: str, **kwargs: Any) -> None:
            nonlocal tried
            tried += 1
            headers = {
                **daemon.auth,
                "Content-Type": "application/json",
                **kwargs.pop("headers", {}),
            }
            async with client.stream(
                method, path, content=b"{}" if method == "POST" else None, headers=headers, **kwargs
            ) as response:
                if response.status_code >= 500:
                    failures.append(f"{method} {path} {kwargs}: {response.status_code}")

        for template, operations in openapi_document()["paths"].items():
            names = re.findall(r"{(\w+)}", template)
            path = functools.partial(fill, template, names, run_id)
            for method, operation in operations.items():
                verb = method.upper()
                for name in names:
                    for value in HOSTILE:
                        await attempt(verb, path(**{name: value}))
                for param in operation.get("parameters", []):
                    for value in HOSTILE:
                        if param["in"] == "query":
                            await attempt(verb, path(), params={param["name"]: value})
                        elif param["in"] == "header" and "\x00" not in value:
                            raw = value.encode("utf-8")
                            await attempt(verb, path(), headers={param["name"]: raw})
                for raw in (b"\xb2", b"\xe9\xff", b"v1.\xb2.x.y"):
                    await attempt(verb, path(), headers={"Last-Event-ID": raw})
                    await attempt(
                        verb,
                        path(),
                        headers={"Cookie": b"stax_session=" + raw, "Authorization": ""},
                    )
    assert tried > 600
    assert failures == []


async def test_a_body_in_another_encoding_than_utf8_is_refused(daemon: Daemon) -> None:
    """The parser would read UTF-16 too, where an escaped NUL does not look like one."""
    body = json.dumps({"workflow": "dispatch", "env": {"A": "a\x00b"}}).encode("utf-16")
    async with daemon.client() as client:
        message = rest_message(await post(daemon, client, "/api/runs", body), status=400)
        assert message == "the body is not valid JSON: not UTF-8 (byte 0)"
        raw_surrogate = b'{"workflow": "dispatch", "env": {"A": "a\xed\xa0\x80"}}'
        message = rest_message(await post(daemon, client, "/api/runs", raw_surrogate), status=400)
        assert message.startswith("the body is not valid JSON: not UTF-8")
        await nothing_started(daemon, client)
