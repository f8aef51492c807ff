"""Each job in a snapshot of the repository of its own, as on GitHub each job starts from a
fresh checkout; `bind=True` (--bind) runs them in the working tree itself."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import trio

from runner.config import WorkspaceSettings
from tests.engine.git_repo import git, new_repository

if TYPE_CHECKING:
    from runner.config import Settings
    from tests.engine.conftest import Runner


@pytest.fixture
def repo(workspace: Path) -> Path:
    new_repository(workspace, {"src/app.py": "committed\n", ".gitignore": "build/\n"})
    (workspace / "src" / "app.py").write_text("changed, not committed\n")
    (workspace / "notes.md").write_text("untracked\n")
    (workspace / "build").mkdir()
    (workspace / "build" / "old.o").write_text("ignored\n")
    return workspace


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    # Snapshots where a test can look for them (by default: in the run's temporary folder).
    return settings.with_overrides(workspace=WorkspaceSettings(dir=tmp_path / "snapshots"))


def snapshots(settings: Settings) -> list[Path]:
    folder = settings.workspace.dir
    assert folder is not None
    return sorted(folder.iterdir()) if folder.is_dir() else []


async def test_a_job_runs_in_a_snapshot_of_the_working_tree(
    run_steps: Runner, repo: Path, settings: Settings
) -> None:
    result = await run_steps("""
        - run: |
            test "$PWD" = "$GITHUB_WORKSPACE" && test "$PWD" = "${{ github.workspace }}"
            echo "$PWD"
            cat src/app.py notes.md
            test ! -e build && echo "no build/"
            git rev-parse --abbrev-ref HEAD
            git status --porcelain -- src notes.md
    """)
    assert result.conclusion == "success", result.logs()
    where, *lines = result.output("j", 1)
    assert where.startswith(f"{settings.workspace.dir}{os.sep}")
    assert lines == [
        "changed, not committed",
        "untracked",
        "no build/",
        "main",
        " M src/app.py",
        "?? notes.md",
    ]
    assert snapshots(settings) == []  # gone with its job


@pytest.mark.parametrize("bind", [False, True])
async def test_files_pass_between_jobs_only_as_artifacts_unless_bound(
    run_yaml: Runner, repo: Path, bind: bool
) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: echo "from a" > made-by-a.txt
          b:
            needs: a
            runs-on: ubuntu-latest
            steps:
              - run: cat made-by-a.txt 2>/dev/null || echo "b does not see it"
    """,
        bind=bind,
    )
    assert result.conclusion == "success", result.logs()
    if bind:
        assert result.output("b", 1) == ["from a"]
        assert (repo / "made-by-a.txt").is_file()  # the working tree itself
    else:
        assert result.output("b", 1) == ["b does not see it"]
        assert not (repo / "made-by-a.txt").exists()


async def test_a_job_may_wreck_its_workspace_and_the_users_tree_stays(
    run_steps: Runner, repo: Path, settings: Settings
) -> None:
    head = git(repo, "rev-parse", "HEAD")
    result = await run_steps("""
        - run: |
            echo "appended" >> src/app.py
            git -c user.name=ci -c user.email=ci@example.invalid commit -qam "in CI"
            git tag from-ci
            rm -rf src notes.md .git
        - run: exit 1
    """)
    assert result.conclusion == "failure"
    assert (repo / "src" / "app.py").read_text() == "changed, not committed\n"
    assert (repo / "notes.md").is_file()
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain").splitlines() == [
        "M src/app.py",  # (the first line's leading blank stripped)
        "?? .github/",  # the test's workflow file
        "?? notes.md",
    ]
    assert git(repo, "tag") == ""
    assert snapshots(settings) == []  # a failed job's snapshot goes too


async def test_what_names_the_workspace_before_the_job_starts_names_the_jobs(
    run_yaml: Runner, repo: Path
) -> None:
    result = await run_yaml("""
        on: push
        env:
          FROM_WORKFLOW: ${{ github.workspace }}/src
        jobs:
          j:
            runs-on: ubuntu-latest
            env:
              FROM_JOB: ${{ github.workspace }}/out
            steps:
              - run: |
                  test "$FROM_WORKFLOW" = "$GITHUB_WORKSPACE/src" && echo workflow-env
                  test "$FROM_JOB" = "$GITHUB_WORKSPACE/out" && echo job-env
    """)
    assert result.conclusion == "success", result.logs()
    assert result.output("j", 1) == ["workflow-env", "job-env"]


async def test_matrix_instances_each_get_their_own(run_yaml: Runner, repo: Path) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          m:
            strategy:
              matrix:
                n: [1, 2, 3]
            runs-on: ubuntu-latest
            steps:
              - run: |
                  test ! -e mine.txt && echo "${{ matrix.n }}" > mine.txt && cat mine.txt
                  echo "$PWD"
    """)
    assert result.conclusion == "success", result.logs()
    places = {result.output(f"m.{n}", 1)[1] for n in (1, 2, 3)}
    assert len(places) == 3


async def test_a_subfolder_workdir_is_its_place_in_the_snapshot(
    run_steps: Runner, repo: Path, settings: Settings
) -> None:
    result = await run_steps(
        """
        - run: |
            cat app.py
            basename "$PWD"
            test -f ../notes.md && echo "the whole repository is there"
    """,
        workdir=repo / "src",
    )
    assert result.conclusion == "success", result.logs()
    assert result.output("j", 1) == [
        "changed, not committed",
        "src",
        "the whole repository is there",
    ]


async def test_outside_a_repository_jobs_run_in_the_workdir(
    run_steps: Runner, workspace: Path
) -> None:
    result = await run_steps("""
        - run: echo kept > written.txt && echo "$PWD"
    """)
    assert result.conclusion == "success", result.logs()
    assert result.output("j", 1) == [str(workspace)]
    assert (workspace / "written.txt").is_file()


async def test_a_data_dir_inside_the_repository_is_not_copied(
    run_steps: Runner, repo: Path, settings: Settings
) -> None:
    data_dir = repo / ".stax"
    (data_dir / "runs").mkdir(parents=True)
    (data_dir / "runs" / "big.bin").write_text("the store's files\n")
    result = await run_steps(
        """
        - run: test ! -e .stax && echo "no data dir" && case "$PWD" in */.stax/workspaces/*) echo inside;; esac
    """,
        settings_overrides={
            "data_dir": data_dir,
            "workspace": WorkspaceSettings(dir=data_dir / "workspaces"),
        },
    )
    assert result.conclusion == "success", result.logs()
    assert result.output("j", 1) == ["no data dir", "inside"]


async def test_a_background_writer_is_stopped_before_its_snapshot_goes(
    run_steps: Runner, repo: Path, settings: Settings
) -> None:
    result = await run_steps("""
        - run: |
            (while true; do mkdir -p "out/$RANDOM" && touch "out/x$RANDOM"; sleep 0.01; done) &
            sleep 0.2
    """)
    assert result.conclusion == "success", result.logs()
    assert snapshots(settings) == []


async def test_by_default_a_snapshot_lies_in_the_run_s_temporary_folder_on_no_dot_path(
    run_steps: Runner, repo: Path, settings: Settings
) -> None:
    # Tools refuse paths through a dot folder (express's res.sendFile), as a GitHub
    # runner's workspace has none: the default is not the data dir (.stax).
    result = await run_steps(
        """
        - run: echo "$GITHUB_WORKSPACE" && echo "$RUNNER_TEMP" && cat src/app.py
    """,
        settings_overrides={"workspace": WorkspaceSettings(), "data_dir": repo / ".stax"},
    )
    assert result.conclusion == "success", result.logs()
    workspace, runner_temp, content = result.output("j", 1)
    assert content == "changed, not committed"
    assert Path(workspace).parent.parent == Path(runner_temp).parent  # the run's own folder
    assert not any(part.startswith(".") for part in Path(workspace).parts)
    assert not await trio.Path(workspace).exists()  # gone with the run
