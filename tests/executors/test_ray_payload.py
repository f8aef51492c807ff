"""What a job takes to a Ray node: only the secrets it names; its workspace, whole."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.executors.ray_payload import job_secrets, pack_workspace, unpack_workspace

if TYPE_CHECKING:
    from pathlib import Path

SECRETS = {"GITHUB_TOKEN": "", "ALPHA": "a", "beta_key": "b", "OTHER": "o"}


def test_a_job_gets_only_the_secrets_it_names() -> None:
    text = "run: echo ${{ secrets.ALPHA }} ${{ secrets['BETA_KEY'] }}"
    assert job_secrets(text, SECRETS) == {"GITHUB_TOKEN": "", "ALPHA": "a", "beta_key": "b"}


def test_a_job_without_secrets_gets_none_but_the_token() -> None:
    assert job_secrets("run: echo hello", SECRETS) == {"GITHUB_TOKEN": ""}


def test_a_job_that_reads_the_whole_context_gets_every_secret() -> None:
    assert job_secrets("run: echo ${{ toJSON(secrets) }}", SECRETS) == SECRETS


def test_the_workspace_travels_whole_but_the_data_dir(tmp_path: Path) -> None:
    source = tmp_path / "ws"
    (source / "src").mkdir(parents=True)
    (source / "src" / "a.txt").write_text("a")
    (source / ".stax").mkdir()
    (source / ".stax" / "stax.db").write_text("db")
    (source / "link").symlink_to("src/a.txt")
    target = tmp_path / "out"
    unpack_workspace(pack_workspace(source, leave_out=(source / ".stax",)), target)
    assert (target / "src" / "a.txt").read_text() == "a"
    assert (target / "link").is_symlink()
    assert not (target / ".stax").exists()
