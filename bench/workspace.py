"""What a job's workspace costs: a snapshot of a repository, and its removal.

    python bench/workspace.py [--files 5000] [--reps 9] [--dir DIR]

Builds a repository of `--files` files (200 folders, 2 KiB each, a few executables
and symlinks), commits it, then changes it as a working tree usually is: 1% of the
files modified, 100 untracked files, and an ignored folder of 2,000 files (a build
output, a node_modules) that the snapshot must leave out. Each rep snapshots it into
a new folder beside it (the same filesystem, as stax's data dir is) and removes the
snapshot; the table shows the median and worst of each, and what git alone costs
(`git ls-files -co --exclude-standard`) and what creating as many empty files costs
(the floor any copy has to pay on that filesystem). `--dir` puts the repository on another
filesystem (a btrfs or XFS one, to see reflinks).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runner.workspace import create_snapshot, remove_snapshot

_GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=_GIT_ENV, check=True, capture_output=True)


def build_repository(repo: Path, files: int) -> None:
    body = "x" * 2047 + "\n"
    for i in range(files):
        path = repo / f"pkg{i % 200:03d}" / f"module_{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        if i % 500 == 0:
            path.chmod(0o755)
    (repo / "link").symlink_to("pkg000")
    (repo / ".gitignore").write_text("build/\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "bench")
    for i in range(0, files, 100):  # 1% modified
        (repo / f"pkg{i % 200:03d}" / f"module_{i}.py").write_text("changed\n")
    for i in range(100):
        (repo / "untracked" / f"new_{i}.txt").parent.mkdir(exist_ok=True)
        (repo / "untracked" / f"new_{i}.txt").write_text("new\n")
    for i in range(2000):
        (repo / "build" / f"out_{i}.o").parent.mkdir(exist_ok=True)
        (repo / "build" / f"out_{i}.o").write_text("ignored\n")


def _empty_files(folder: Path, count: int) -> None:
    """What creating the snapshot's files costs at least: that many empty files (an
    open and a close each), in 200 folders."""
    for d in range(200):
        os.makedirs(folder / f"d{d}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for i in range(count):
        os.close(os.open(f"{folder}/d{i % 200}/f{i}", flags, 0o644))


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} {max(samples) * 1000:7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        repo = Path(scratch) / "repo"
        repo.mkdir()
        build_repository(repo, args.files)
        listing, snapshot, removal, floor = [], [], [], []
        stats = None
        for rep in range(args.reps):
            start = time.perf_counter()
            _git(repo, "ls-files", "-z", "-co", "--exclude-standard")
            listing.append(time.perf_counter() - start)
            dest = Path(scratch) / f"snapshot-{rep}"
            start = time.perf_counter()
            stats = create_snapshot(repo, dest)
            snapshot.append(time.perf_counter() - start)
            start = time.perf_counter()
            remove_snapshot(dest)
            removal.append(time.perf_counter() - start)
            start = time.perf_counter()
            _empty_files(Path(scratch) / f"floor-{rep}", stats.files)
            floor.append(time.perf_counter() - start)
    assert stats is not None
    print(f"{stats.files} files, reflinks: {stats.reflinked}")
    print(f"{'':32} {'median':>7} {'worst':>7}   (ms, {args.reps} reps)")
    print(f"{'git ls-files -co (the listing)':32} {_ms(listing)}")
    print(f"{'create_snapshot':32} {_ms(snapshot)}")
    print(f"{'the floor: as many empty files':32} {_ms(floor)}")
    print(f"{'remove_snapshot':32} {_ms(removal)}")


if __name__ == "__main__":
    main()
