"""Snapshots of real git repositories: what they hold, what their .git says, and that
nothing done in one reaches the user's repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.errors import RunError
from runner.workspace import create_snapshot, remove_snapshot, repository_root

_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "protocol.file.allow=always", *args],
        cwd=cwd,
        env=_ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with a commit, then the usual state of a working tree."""
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('committed')\n")
    (root / "run.sh").write_text("#!/bin/sh\necho run\n")
    (root / "run.sh").chmod(0o755)
    (root / "gone.txt").write_text("deleted in the working tree\n")
    (root / "empty").write_text("")
    (root / "link").symlink_to("src/app.py")
    (root / ".gitignore").write_text("build/\n*.log\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    git(root, "tag", "v1.0")
    (root / "src" / "app.py").write_text("print('changed')\n")  # modified, unstaged
    (root / "staged.txt").write_text("staged\n")
    git(root, "add", "staged.txt")
    (root / "gone.txt").unlink()
    (root / "notes.md").write_text("untracked\n")
    (root / "build").mkdir()
    (root / "build" / "out.o").write_text("ignored\n")
    (root / "debug.log").write_text("ignored\n")
    return root


def files(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if ".git" not in p.relative_to(root).parts and not p.is_dir()
    }


def test_a_snapshot_is_the_working_tree_without_what_is_ignored(repo: Path, tmp_path: Path) -> None:
    dest = tmp_path / "snap"
    stats = create_snapshot(repo, dest)
    assert files(dest) == {
        ".gitignore",
        "empty",
        "link",
        "notes.md",
        "run.sh",
        "src/app.py",
        "staged.txt",
    }
    assert stats.files == 8  # gone.txt was listed (HEAD has it), and is gone
    assert (dest / "src" / "app.py").read_text() == "print('changed')\n"
    assert os.readlink(dest / "link") == "src/app.py"
    assert os.access(dest / "run.sh", os.X_OK)
    assert (dest / "empty").read_text() == ""


def test_writing_in_a_snapshot_never_changes_the_users_files(repo: Path, tmp_path: Path) -> None:
    dest = tmp_path / "snap"
    create_snapshot(repo, dest)
    with (dest / "src" / "app.py").open("a") as file:  # in place, as an editor or `>>` does
        file.write("appended\n")
    (dest / "notes.md").unlink()
    assert (repo / "src" / "app.py").read_text() == "print('changed')\n"
    assert (repo / "notes.md").is_file()


def test_git_in_a_snapshot_sees_the_commit_and_the_changes(repo: Path, tmp_path: Path) -> None:
    dest = tmp_path / "snap"
    create_snapshot(repo, dest)
    assert git(dest, "rev-parse", "HEAD") == git(repo, "rev-parse", "HEAD")
    assert git(dest, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(dest, "describe", "--tags") == "v1.0"
    assert git(dest, "rev-parse", "--show-toplevel") == str(dest.resolve())
    status = git(dest, "status", "--porcelain").splitlines()
    assert sorted(status) == sorted(git(repo, "status", "--porcelain").splitlines())
    assert "A  staged.txt" in status


def test_a_commit_in_a_snapshot_stays_there(repo: Path, tmp_path: Path) -> None:
    dest = tmp_path / "snap"
    before = git(repo, "for-each-ref")
    objects = sorted((repo / ".git" / "objects").rglob("*"))
    create_snapshot(repo, dest)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "made in the snapshot")
    git(dest, "tag", "v2.0")
    git(dest, "checkout", "-q", "-b", "feature")
    assert git(repo, "for-each-ref") == before
    assert sorted((repo / ".git" / "objects").rglob("*")) == objects
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"


def test_excluded_folders_are_left_out(repo: Path, tmp_path: Path) -> None:
    data = repo / ".stax"
    (data / "workspaces" / "x").mkdir(parents=True)
    (data / "stax.db").write_text("store")
    dest = tmp_path / "snap"
    create_snapshot(repo, dest, exclude=[data])
    assert not (dest / ".stax").exists()
    assert (dest / "notes.md").is_file()


def test_a_submodule_becomes_a_snapshot_inside_the_snapshot(repo: Path, tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    (library / "lib.py").write_text("LIB = 1\n")
    git(library, "init", "-q", "-b", "main")
    git(library, "add", "-A")
    git(library, "commit", "-q", "-m", "lib")
    git(repo, "submodule", "add", "-q", str(library), "vendor/library")
    dest = tmp_path / "snap"
    create_snapshot(repo, dest)
    assert (dest / "vendor" / "library" / "lib.py").read_text() == "LIB = 1\n"
    inner = dest / "vendor" / "library"
    assert git(inner, "rev-parse", "HEAD") == git(library, "rev-parse", "HEAD")
    assert git(inner, "rev-parse", "--show-toplevel") == str(inner.resolve())


def test_a_linked_worktree_is_snapshotted_from_its_own_head(repo: Path, tmp_path: Path) -> None:
    git(repo, "commit", "-q", "-m", "second")
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "side", str(linked), "HEAD~1")
    (linked / "side.txt").write_text("only here\n")
    dest = tmp_path / "snap"
    create_snapshot(linked, dest)
    assert git(dest, "rev-parse", "--abbrev-ref", "HEAD") == "side"
    assert git(dest, "rev-parse", "HEAD") == git(repo, "rev-parse", "HEAD~1")
    assert (dest / "side.txt").is_file()
    assert not (dest / "staged.txt").exists()  # committed on main after HEAD~1


def test_a_repository_without_commits_can_be_snapshotted(tmp_path: Path) -> None:
    root = tmp_path / "new"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "first.txt").write_text("first\n")
    dest = tmp_path / "snap"
    create_snapshot(root, dest)
    assert (dest / "first.txt").is_file()
    assert git(dest, "status", "--porcelain") == "?? first.txt"


def test_remove_takes_the_whole_snapshot(repo: Path, tmp_path: Path) -> None:
    dest = tmp_path / "snap"
    create_snapshot(repo, dest)
    (dest / "build" / "deep").mkdir(parents=True)
    (dest / "build" / "deep" / "made.txt").write_text("by a step\n")
    remove_snapshot(dest)
    assert not dest.exists()
    remove_snapshot(dest)  # twice is fine


def test_outside_a_repository_there_is_no_root_and_no_snapshot(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert repository_root(plain) is None
    with pytest.raises(RunError, match="git ls-files failed"):
        create_snapshot(plain, tmp_path / "snap")
    assert not (tmp_path / "snap").exists()  # nothing half-made is left


def test_without_tar_each_file_is_copied_by_python(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_git = tmp_path / "bin"
    only_git.mkdir()
    (only_git / "git").symlink_to(subprocess.check_output(["which", "git"], text=True).strip())
    monkeypatch.setenv("PATH", str(only_git))
    dest = tmp_path / "snap"
    create_snapshot(repo, dest)
    assert files(dest) == {
        ".gitignore",
        "empty",
        "link",
        "notes.md",
        "run.sh",
        "src/app.py",
        "staged.txt",
    }
    assert os.access(dest / "run.sh", os.X_OK)
    assert os.readlink(dest / "link") == "src/app.py"


def test_the_snapshot_api_stands_alone() -> None:
    """An executor on another machine imports it without the engine or trio."""
    code = (
        "import sys, runner.workspace;"
        "bad = [m for m in sys.modules if m == 'trio' or m.startswith('runner.engine')];"
        "sys.exit(repr(bad) if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_a_folder_already_there_is_refused_and_left_alone(repo: Path, tmp_path: Path) -> None:
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "precious.txt").write_text("not the snapshot's\n")
    with pytest.raises(FileExistsError):
        create_snapshot(repo, dest)
    assert (dest / "precious.txt").is_file()
