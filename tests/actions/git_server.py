"""A test's own actions server: a folder of bare git repositories, served as file:// URLs.

`GitServer.publish("octo/greet", files, tag="v1")` commits `files` on top of the
repository's branch (creating it the first time), moves the tag to the new commit
and returns the commit's SHA. Point `[actions] server` at `server.url`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

REPO = Path(__file__).resolve().parents[2]
ACTIONS = REPO / "tests" / "engine" / "actions"  # the JavaScript and composite action fixtures
NODE_MODULES = REPO / "tests" / "node" / "node_modules"


def _git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout.strip()


class GitServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = root.as_uri()
        self._work = root.parent / f"{root.name}-work"

    def bare(self, repository: str) -> Path:
        return self.root / f"{repository}.git"

    def publish(
        self,
        repository: str,
        files: Mapping[str, str],
        *,
        tag: str | None = None,
        annotated: bool = False,
        branch: str = "main",
        node_modules: bool = False,
    ) -> str:
        """Commit `files` (path -> text; a path may be a folder of fixtures copied
        whole when its text is "<copy DIR>") and return the commit's SHA.
        `node_modules` commits a symlink to the test suite's npm packages, as an action
        that ships its node_modules would have them."""
        work = self._work / repository
        bare = self.bare(repository)
        if not bare.exists():
            bare.parent.mkdir(parents=True, exist_ok=True)
            _git("init", "-q", "--bare", "-b", branch, str(bare), cwd=self.root)
            work.mkdir(parents=True)
            _git("init", "-q", "-b", branch, cwd=work)
            _git("remote", "add", "origin", str(bare), cwd=work)
        for relative, text in files.items():
            target = work / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if text.startswith("<copy ") and text.endswith(">"):
                shutil.copytree(Path(text[6:-1]), target, dirs_exist_ok=True)
            else:
                target.write_text(text)
        if node_modules and not (work / "node_modules").is_symlink():
            (work / "node_modules").symlink_to(NODE_MODULES)
        _git("add", "-A", cwd=work)
        _git("commit", "-q", "--allow-empty", "-m", "publish", cwd=work)
        _git("push", "-q", "origin", branch, cwd=work)
        sha = _git("rev-parse", "HEAD", cwd=work)
        if tag is not None:
            flags = ["-a", "-m", tag] if annotated else []
            _git("tag", "-f", *flags, tag, cwd=work)
            _git("push", "-q", "-f", "origin", f"refs/tags/{tag}", cwd=work)
        return sha

    def publish_fixture(self, repository: str, fixture: str, *, tag: str = "v1") -> str:
        """Publish tests/engine/actions/<fixture> as `repository` at `tag`."""
        return self.publish(
            repository, {".": f"<copy {ACTIONS / fixture}>"}, tag=tag, node_modules=True
        )
