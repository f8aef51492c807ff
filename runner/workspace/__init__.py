"""Workspaces: where a job's steps run.

    create_snapshot(repo, dest)   a snapshot of a repository's working tree (HEAD plus
                                  uncommitted and untracked, non-ignored files) with a .git
                                  of its own, copied fast (reflinks where the filesystem
                                  has them)
    remove_snapshot(dest)         and it is gone
    repository_root(directory)    the working tree a folder is in, if any

Blocking file-system work with no notion of runs or jobs: the engine calls it in a
thread for each job; an executor on another machine can call it there.
"""

from runner.workspace.snapshot import (
    SnapshotStatistics,
    create_snapshot,
    remove_snapshot,
    repository_root,
)

__all__ = ["SnapshotStatistics", "create_snapshot", "remove_snapshot", "repository_root"]
