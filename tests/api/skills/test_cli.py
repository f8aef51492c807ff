"""`stax skill run` and the daemon: through it (channel cli), or local and found by it later."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

import trio

from tests.api.skills.test_routes import EXAMPLES, KEY, skills_daemon, write_test_skills
from tests.real_daemon import free_port

if TYPE_CHECKING:
    from pathlib import Path

    from tests.api.conftest import DaemonFactory


async def stax(config: Path, *args: str) -> tuple[int, str, str]:
    with trio.fail_after(20):
        result = await trio.run_process(
            [sys.executable, "-m", "runner", "--config", str(config), "skill", *args],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
            env={**os.environ, "NO_COLOR": "1"},
        )
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def cli_config(path: Path, *, port: int, data_dir: Path, skills: Path) -> Path:
    path.write_text(
        f'port = {port}\ndata_dir = "{data_dir}"\nskills_dirs = ["{skills}", "{EXAMPLES}"]\n'
    )
    return path


async def test_run_goes_through_a_daemon_that_is_up(
    daemon_factory: DaemonFactory, tmp_path: Path
) -> None:
    daemon = await skills_daemon(daemon_factory, tmp_path)
    config = cli_config(
        tmp_path / "cli.toml",
        port=daemon.address.port,
        data_dir=daemon.settings.data_dir,  # where the CLI finds the daemon's token
        skills=tmp_path / "test-skills",
    )
    code, out, err = await stax(config, "run", "my.skill", "-i", "text=one two three", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["outputs"] == {"result": "3 words"}
    async with daemon.client() as client:
        stored = (await client.get(f"/v1/skills/executions/{result['trace_id']}")).json()
        assert stored["execution_channel"] == "cli"
        assert result["trace_id"].split("-")[0] in [
            run["id"] for run in (await client.get("/api/runs")).json()["runs"]
        ]
    code, out, err = await stax(config, "run", "test.all", "-v")
    assert code == 1
    assert "  ✗ broken  Process completed with exit code 1." in out.splitlines()
    assert "    | about to fail" in out.splitlines()


async def test_a_local_run_is_recorded_for_the_daemon(
    daemon_factory: DaemonFactory, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    skills = write_test_skills(tmp_path / "test-skills")
    config = cli_config(tmp_path / "cli.toml", port=free_port(), data_dir=data, skills=skills)
    code, out, err = await stax(config, "run", "my.skill", "-i", "text=hello there", "--json")
    assert code == 0, err
    trace = json.loads(out)["trace_id"]
    daemon = await skills_daemon(daemon_factory, tmp_path / "later", data_dir=data)
    async with daemon.client() as client:
        stored = (await client.get(f"/v1/skills/executions/{trace}", headers=KEY)).json()
    assert stored["execution_channel"] == "cli"
    assert stored["status"] == "completed"
    assert stored["outputs"] == {"result": "2 words"}
