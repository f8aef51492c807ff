"""Workflow and skill files as the daemon parses them (runner.definitions): off its event
loop, once per version of a file, bounded in size and in the time a request waits."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import httpx
import trio

from runner.model import MAX_DEFINITION_BYTES

if TYPE_CHECKING:
    from tests.api.conftest import Daemon, DaemonFactory

JOBS = 5_000  # ~350 KB: about half a second to parse, here


def huge_workflow(jobs: int = JOBS) -> str:
    lines = ["on: push", "jobs:"]
    for i in range(jobs):
        lines += [f"  j{i}:", "    runs-on: ubuntu-latest", "    steps:", f"      - run: echo {i}"]
    return "\n".join(lines) + "\n"


def huge_skill(steps: int = 5_000) -> str:
    lines = ["id: huge.skill", "steps:"]
    lines += [f"  - run: echo {i}" for i in range(steps)]
    return "\n".join(lines) + "\n"


async def wait_until_answered(client: httpx.AsyncClient, path: str) -> httpx.Response:
    """A parse a request stopped waiting for goes on in its thread: ask until it is done."""
    with trio.fail_after(60):
        while True:
            response = await client.get(path)
            if response.status_code == 200 and "took longer" not in response.text:
                return response
            await trio.sleep(0.05)


async def test_other_requests_are_answered_while_a_huge_workflow_is_parsed(
    daemon_factory: DaemonFactory,
) -> None:
    """Cheap requests sent one after another while `GET /api/workflows` parses a 5,000-job
    file: several are answered before it is. (On the event loop, the parse held every
    client until it ended: at most the first, sent before it began, got through.)"""
    daemon = await daemon_factory(parse_timeout_seconds=300)  # however loaded the machine
    daemon.write_workflow("huge.yml", huge_workflow())
    path = daemon.write_workflow(
        "small.yml", "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [run: 'true']\n"
    )
    answered_before: list[int] = []
    async with httpx.AsyncClient(base_url=daemon.url, timeout=60) as client:
        listing_done = trio.Event()
        listing: list[dict[str, object]] = []

        async def list_workflows() -> None:
            listing.extend((await client.get("/api/workflows")).json()["workflows"])
            listing_done.set()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(list_workflows)
            cheap = 0
            while not listing_done.is_set():
                assert (await client.get("/api/health")).status_code == 200
                if not listing_done.is_set():
                    cheap += 1
            answered_before.append(cheap)
        by_name = {entry["name"]: entry for entry in listing}
        assert by_name["huge"]["valid"] is True
        assert len(by_name["huge"]["jobs"]) == JOBS  # type: ignore[arg-type]
        assert by_name["small"]["valid"] is True
        assert answered_before[0] >= 10, answered_before

        # Parsed once per version: listed again, nothing is parsed; changed, it is.
        parses = daemon.services.definitions.statistics().parses
        await client.get("/api/workflows")
        assert daemon.services.definitions.statistics().parses == parses
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        await client.get("/api/workflows")
        assert daemon.services.definitions.statistics().parses == parses + 1


async def test_a_workflow_over_the_size_limit_is_listed_with_its_error_and_not_run(
    daemon: Daemon,
) -> None:
    padding = "# " + "x" * 98 + "\n"
    daemon.write_workflow(
        "padded.yml",
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [run: 'true']\n"
        + padding * (MAX_DEFINITION_BYTES // len(padding) + 1),
    )
    async with daemon.client() as client:
        listing = (await client.get("/api/workflows")).json()["workflows"]
        assert listing[0]["valid"] is False
        assert listing[0]["errors"] == [
            f"{listing[0]['path']}:1:1: the file is over 1024 KiB, the most stax reads"
        ]
        refused = await client.post("/api/runs", json={"workflow": "padded"}, headers=daemon.auth)
        assert refused.status_code == 422
        assert "over 1024 KiB" in refused.json()["error"]["message"]


async def test_a_parse_past_the_time_limit_is_listed_as_too_slow_then_as_it_is(
    daemon_factory: DaemonFactory,
) -> None:
    daemon = await daemon_factory(parse_timeout_seconds=0.05)
    daemon.write_workflow("huge.yml", huge_workflow(3_000))
    async with httpx.AsyncClient(base_url=daemon.url, timeout=60) as client:
        with trio.fail_after(5):  # answered at the limit, not when the parse ends
            listing = (await client.get("/api/workflows")).json()["workflows"]
        assert listing[0]["valid"] is False
        assert listing[0]["errors"][0].endswith(
            "took longer than 0.05 s to parse (parse_timeout_seconds); "
            "it is shown as it is once its parse ends"
        )
        refused = await client.post("/api/runs", json={"workflow": "huge"}, headers=daemon.auth)
        assert refused.status_code == 422
        assert "took longer than 0.05 s to parse" in refused.json()["error"]["message"]
        listing = (await wait_until_answered(client, "/api/workflows")).json()["workflows"]
        assert listing[0]["valid"] is True


async def test_the_skill_catalog_is_built_off_the_loop_within_the_time_limit(
    daemon_factory: DaemonFactory,
) -> None:
    daemon = await daemon_factory(parse_timeout_seconds=0.05)
    skills = daemon.root / "skills"
    skills.mkdir()
    (skills / "huge.yml").write_text(huge_skill())
    async with httpx.AsyncClient(base_url=daemon.url, timeout=60) as client:
        with trio.fail_after(5):
            busy = await client.get("/v1/skills")
        assert busy.status_code == 503
        assert busy.json()["error"]["type"] == "unavailable"
        assert "took longer than 0.05 s to parse" in busy.json()["error"]["message"]
        listed = (await wait_until_answered(client, "/v1/skills")).json()
        assert [skill["id"] for skill in listed["skills"]] == ["huge.skill"]
