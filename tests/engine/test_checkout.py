"""actions/checkout of the workflow's own repository (path, ref, fetch-depth, submodules),
and of another one, from the actions server or a --local-repository folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.engine.git_repo import commit_all, git, new_repository

if TYPE_CHECKING:
    from pathlib import Path

    from tests.actions.git_server import GitServer
    from tests.engine.conftest import Runner


def commit(repo: Path, text: str) -> str:
    """A commit whose version.txt says `text`."""
    (repo / "version.txt").write_text(text + "\n")
    return commit_all(repo, text)


@pytest.fixture
def repo(workspace: Path) -> Path:
    # .github/ ignored: the test's workflow file
    new_repository(workspace, {".gitignore": ".github/\n", "version.txt": "one\n"}, "one")
    git(workspace, "tag", "v1")
    commit(workspace, "two")
    return workspace


async def test_a_path_gets_the_repository_at_a_ref_and_goes_with_the_job(
    run_steps: Runner, repo: Path
) -> None:
    v1 = git(repo, "rev-parse", "v1")
    result = await run_steps("""
        - id: co
          uses: actions/checkout@v4
          with: {ref: v1, path: old}
        - run: |
            cat old/version.txt
            git -C old rev-parse HEAD
            git -C old rev-list --count HEAD
            echo "${{ steps.co.outputs.commit }} ${{ steps.co.outputs.ref }}"
            cat version.txt
    """)
    assert result.conclusion == "success", result.logs("j")
    assert result.output("j", 2) == ["one", v1, "1", f"{v1} v1", "two"]
    assert not (repo / "old").exists()
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize(("depth", "count"), [("0", "2"), ("2", "2"), ("1", "1")])
async def test_fetch_depth_is_honoured(
    run_steps: Runner, repo: Path, depth: str, count: str
) -> None:
    result = await run_steps(f"""
        - uses: actions/checkout@v4
          with: {{ref: main, path: sub/dir, fetch-depth: {depth}}}
        - run: |
            git -C sub/dir rev-list --count HEAD
            git -C sub/dir rev-parse --abbrev-ref HEAD
    """)
    assert result.output("j", 2) == [count, "main"]


async def test_submodules_come_from_the_local_repository(
    run_steps: Runner, repo: Path, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    new_repository(library, {"lib.txt": "library\n"}, "lib")
    git(
        repo,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(library),
        "vendor/lib",
    )
    git(repo, "commit", "-q", "-m", "with a submodule")
    result = await run_steps("""
        - uses: actions/checkout@v4
          with: {path: plain}
        - uses: actions/checkout@v4
          with: {path: full, submodules: true}
        - run: |
            ls plain/vendor/lib | wc -l
            cat full/vendor/lib/lib.txt
    """)
    assert result.conclusion == "success", result.logs("j")
    assert result.output("j", 3) == ["0", "library"]


@pytest.mark.parametrize(
    ("with_", "message"),
    [
        (
            "{repository: someone/else, path: x}",
            "checkout of someone/else: git ls-remote failed",
        ),
        ("{repository: not-a-name, path: x}", "'not-a-name' is not of the form owner/repo"),
        ("{ref: nope, path: x}", "ref 'nope' is not in the local repository"),
        ("{path: ../outside}", "is not under the workspace"),
        ("{path: version.txt}", "already exists in the workspace"),
        ("{path: x, fetch-depth: deep}", "fetch-depth must be a whole number"),
    ],
)
async def test_what_cannot_be_checked_out_fails_the_step_clearly(
    run_steps: Runner, repo: Path, with_: str, message: str
) -> None:
    result = await run_steps(f"""
        - uses: actions/checkout@v4
          with: {with_}
    """)
    assert result.step_conclusions("j") == ["failure"]
    assert any(message in line for line in result.logs("j", 1)), result.logs("j", 1)


@pytest.mark.parametrize("bind", [False, True])
async def test_a_ref_without_a_path_replaces_the_snapshots_files_never_the_users(
    run_steps: Runner, repo: Path, bind: bool
) -> None:
    v1 = git(repo, "rev-parse", "v1")
    (repo / "scratch.txt").write_text("untracked\n")
    result = await run_steps(
        """
        - uses: actions/checkout@v4
          with: {ref: v1}
        - run: |
            cat version.txt
            git rev-parse HEAD
            test ! -e scratch.txt && echo "a clean checkout"
    """,
        bind=bind,
    )
    if bind:  # the user's working tree: refused
        assert result.step_conclusions("j") == ["failure", "skipped"]
        assert any("would change your working tree" in line for line in result.logs("j", 1))
    else:
        assert result.conclusion == "success", result.logs("j")
        assert result.output("j", 2) == ["one", v1, "a clean checkout"]
    assert (repo / "version.txt").read_text() == "two\n"
    assert (repo / "scratch.txt").is_file()
    assert git(repo, "rev-parse", "HEAD") != v1


async def test_the_ref_the_workspace_has_is_already_available(
    run_steps: Runner, repo: Path
) -> None:
    result = await run_steps("""
        - uses: actions/checkout@v4
          with: {ref: main, fetch-depth: 0}
    """)
    assert result.output("j", 1) == ["Workspace already available"]


async def test_another_repository_comes_from_the_actions_server_at_a_branch_tag_or_commit(
    run_steps: Runner, repo: Path, actions_server: GitServer
) -> None:
    first = actions_server.publish("octo/lib", {"lib.txt": "one\n"}, tag="v1")
    second = actions_server.publish("octo/lib", {"lib.txt": "two\n"})
    result = await run_steps(f"""
        - uses: actions/checkout@v4
          id: default
          with: {{repository: octo/lib, path: default}}
        - uses: actions/checkout@v4
          id: tag
          with: {{repository: octo/lib, ref: v1, path: tag}}
        - uses: actions/checkout@v4
          with: {{repository: octo/lib, ref: {first}, path: sha, fetch-depth: 0}}
        - run: |
            cat default/lib.txt tag/lib.txt sha/lib.txt
            git -C default rev-parse --abbrev-ref HEAD
            git -C default rev-list --count HEAD
            git -C sha rev-list --count HEAD
            echo "${{{{ steps.default.outputs.ref }}}} ${{{{ steps.default.outputs.commit }}}}"
            echo "${{{{ steps.tag.outputs.ref }}}} ${{{{ steps.tag.outputs.commit }}}}"
    """)
    assert result.conclusion == "success", result.logs("j")
    assert result.output("j", 4) == [
        "two",
        "one",
        "one",
        "main",
        "1",  # fetch-depth 1 by default
        "1",  # all history: the first commit has no parent
        f"refs/heads/main {second}",
        f"v1 {first}",
    ]
    assert not (repo / "default").exists()  # the clones go with the job


async def test_another_repository_from_a_local_repository_folder(
    run_steps: Runner, repo: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "lib.txt").write_text("local\n")
    result = await run_steps(
        """
        - uses: actions/checkout@v4
          with: {repository: octo/lib, ref: main, path: lib}
        - run: cat lib/lib.txt
    """,
        local_repositories={"octo/lib@main": str(folder)},
    )
    assert result.conclusion == "success", result.logs("j")
    assert result.output("j", 2) == ["local"]
    assert (folder / "lib.txt").exists()  # the folder itself is left as it is


async def test_another_repository_without_such_a_ref_names_it(
    run_steps: Runner, repo: Path, actions_server: GitServer
) -> None:
    actions_server.publish("octo/lib", {"lib.txt": "one\n"}, tag="v1")
    result = await run_steps("""
        - uses: actions/checkout@v4
          with: {repository: octo/lib, ref: v9, path: lib}
    """)
    assert (
        result.job("j")
        .steps[0]
        .error.startswith(
            "checkout of octo/lib: repository octo/lib: no branch, tag or commit 'v9' at file://"
        )
    )


async def test_a_path_checkout_comes_from_the_run_repository_whatever_the_job_did_to_its_workspace(
    run_steps: Runner, repo: Path
) -> None:
    result = await run_steps("""
        - run: rm -rf .git version.txt
        - uses: actions/checkout@v4
          with: {path: again}
        - run: cat again/version.txt
    """)
    assert result.conclusion == "success", result.logs("j")
    assert result.output("j", 3) == ["two"]
    assert (repo / ".git").is_dir()


async def test_another_repository_replaces_the_job_workspace_without_a_path(
    run_steps: Runner, repo: Path, actions_server: GitServer
) -> None:
    actions_server.publish("octo/lib", {"lib.txt": "lib\n"})
    result = await run_steps("""
        - uses: actions/checkout@v4
          with: {repository: octo/lib}
        - uses: actions/checkout@v4
          with: {path: own}
        - run: |
            ls
            git remote get-url origin
    """)
    assert result.conclusion == "success", result.logs("j")
    assert result.output("j", 3)[:3] == ["lib.txt", "own", actions_server.url + "/octo/lib"]
    assert (repo / "version.txt").read_text() == "two\n"  # the working tree is untouched


async def test_another_repository_into_the_working_tree_itself_is_refused(
    run_steps: Runner, repo: Path
) -> None:
    result = await run_steps(
        """
        - uses: actions/checkout@v4
          with: {repository: someone/else}
    """,
        bind=True,
    )
    error = result.job("j").steps[0].error or ""
    assert "into the workspace would replace your working tree (jobs run in it" in error
