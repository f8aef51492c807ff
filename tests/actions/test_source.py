"""The action source: local folders, the cache by commit, git from a file:// server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import trio

from runner.actions import ActionReference, ActionSource, default_cache_dir
from runner.errors import RunError
from tests.actions.git_server import GitServer


@pytest.fixture
def server(tmp_path: Path) -> GitServer:
    root = tmp_path / "server"
    root.mkdir()
    return GitServer(root)


def _ref(uses: str) -> ActionReference:
    reference = ActionReference.parse(uses)
    assert reference is not None
    return reference


def _source(server: GitServer, tmp_path: Path, **options: object) -> ActionSource:
    return ActionSource(server=server.url, cache_dir=tmp_path / "cache", **options)  # type: ignore[arg-type]


def test_references_parse_as_github_writes_them() -> None:
    assert _ref("actions/cache/restore@v4") == ActionReference(
        owner="actions", repo="cache", path="restore", ref="v4"
    )
    assert str(_ref("o/r@main")) == "o/r@main"
    assert str(_ref("o/r/.github/workflows/x.yml@v1")) == "o/r/.github/workflows/x.yml@v1"
    assert ActionReference.parse("./local") is None
    assert ActionReference.parse("o/r") is None
    for outside in ("../..@v1", "o/..@v1", "o/r/../../x@v1", "o/r/a/../b@v1"):
        assert ActionReference.parse(outside) is None, outside


def test_the_cache_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "stax" / "actions"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert default_cache_dir() == Path.home() / ".cache" / "stax" / "actions"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "stax" / "actions"


async def test_a_tag_a_branch_and_a_full_sha_resolve_and_are_cached_by_commit(
    server: GitServer, tmp_path: Path
) -> None:
    first = server.publish("octo/act", {"action.yml": "one"}, tag="v1")
    second = server.publish("octo/act", {"action.yml": "two"}, tag="v2", annotated=True)
    source = _source(server, tmp_path)
    by_tag = await source.fetch(_ref("octo/act@v1"))
    assert (by_tag.commit, by_tag.how) == (first, "fetched")
    assert (by_tag.root / "action.yml").read_text() == "one"
    assert not (by_tag.root / ".git").exists()
    annotated = await source.fetch(_ref("octo/act@v2"))
    assert annotated.commit == second  # the commit, not the tag object
    branch = await source.fetch(_ref("octo/act@main"))
    assert (branch.commit, branch.how) == (second, "cached")
    by_sha = await source.fetch(_ref(f"octo/act@{first}"))
    assert (by_sha.commit, by_sha.how) == (first, "cached")
    assert source.statistics().fetched == 2

    # Another run (another source) resolves the tag again and fetches nothing.
    later = _source(server, tmp_path)
    again = await later.fetch(_ref("octo/act/sub@v1"))
    assert (again.commit, again.how) == (first, "cached")
    assert again.directory == again.root / "sub"
    assert later.statistics().fetched == 0
    assert later.statistics().resolved == 1
    assert again.describe() == f"Using cached action repository 'octo/act/sub@v1' (SHA:{first})"
    assert by_tag.describe() == f"Download action repository 'octo/act@v1' (SHA:{first})"


async def test_a_moved_tag_is_fetched_anew(server: GitServer, tmp_path: Path) -> None:
    server.publish("octo/act", {"f": "1"}, tag="v1")
    await _source(server, tmp_path).fetch(_ref("octo/act@v1"))
    moved = server.publish("octo/act", {"f": "2"}, tag="v1")
    fetched = await _source(server, tmp_path).fetch(_ref("octo/act@v1"))
    assert (fetched.commit, fetched.how) == (moved, "fetched")
    assert (fetched.root / "f").read_text() == "2"


async def test_offline_uses_the_cache_and_never_runs_git(
    server: GitServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = server.publish("octo/act", {"f": "1"}, tag="v1")
    await _source(server, tmp_path).fetch(_ref("octo/act@v1"))
    server.publish("octo/act", {"f": "2"}, tag="v1")  # offline does not see this
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    offline = _source(server, tmp_path, offline=True)
    found = await offline.fetch(_ref("octo/act@v1"))
    assert (found.commit, found.how) == (sha, "cached")
    assert (await offline.fetch(_ref(f"octo/act@{sha}"))).commit == sha
    with pytest.raises(RunError) as never:
        await offline.fetch(_ref("octo/act@v2"))
    assert str(never.value) == (
        "octo/act@v2: never fetched, and offline mode does not fetch "
        "(run once without --action-offline-mode to cache it)"
    )
    with pytest.raises(RunError) as missing:
        await offline.fetch(_ref(f"octo/act@{'0' * 40}"))
    assert "is not in the action cache" in str(missing.value)


async def test_local_repositories_replace_a_ref_with_a_folder_as_act_does(
    server: GitServer, tmp_path: Path
) -> None:
    folder = tmp_path / "checkout-of-act"
    (folder / "sub").mkdir(parents=True)
    source = _source(
        server,
        tmp_path,
        local_repositories={
            "Octo/Act@v1": folder,  # any server; the repository's case does not matter
            f"{server.url}/octo/other@main": folder,  # this server only
            "https://elsewhere.example/octo/third@main": folder,
            "octo/gone@v1": tmp_path / "nowhere",
        },
    )
    found = await source.fetch(_ref("octo/act/sub@v1"))
    assert (found.root, found.directory, found.commit, found.how) == (
        folder,
        folder / "sub",
        None,
        "local",
    )
    assert found.describe() == (
        f"Using action repository 'octo/act/sub@v1' from the local folder {folder}"
    )
    assert (await source.fetch(_ref("octo/other@main"))).root == folder
    with pytest.raises(RunError, match="no repository at"):
        await source.fetch(_ref("octo/third@main"))  # another server's override: git
    with pytest.raises(RunError, match="octo/act@V1: git ls-remote failed"):
        await source.fetch(_ref("octo/act@V1"))  # refs compare exactly: not replaced
    with pytest.raises(RunError) as gone:
        await source.fetch(_ref("octo/gone@v1"))
    assert str(gone.value) == (
        f"octo/gone@v1: the local repository folder {tmp_path / 'nowhere'} "
        "(--local-repository octo/gone@v1) does not exist"
    )
    assert source.statistics().fetched == 0


@pytest.mark.parametrize(
    ("uses", "message"),
    [
        ("octo/none@v1", "octo/none@v1: git ls-remote failed: no repository at {url}/octo/none"),
        ("octo/act@v9", "octo/act@v9: no tag or branch 'v9' in {url}/octo/act"),
        (
            "octo/act@abc1234",
            "octo/act@abc1234: no tag or branch 'abc1234' in {url}/octo/act; a shortened "
            "commit SHA is not supported, use the full SHA",
        ),
        ("octo/act@" + "1" * 40, "octo/act@" + "1" * 40 + ": no commit " + "1" * 40),
    ],
)
async def test_what_cannot_be_fetched_fails_fast_and_names_the_action(
    server: GitServer, tmp_path: Path, uses: str, message: str
) -> None:
    server.publish("octo/act", {"f": "1"}, tag="v1")
    started = time.monotonic()
    with pytest.raises(RunError) as info:
        await _source(server, tmp_path).fetch(_ref(uses))
    assert str(info.value).startswith(message.format(url=server.url))
    assert time.monotonic() - started < 1.0
    building = tmp_path / "cache" / "tmp"
    assert not building.exists() or list(building.iterdir()) == []  # nothing half-built


async def test_concurrent_runs_fetching_one_commit_share_one_complete_copy(
    server: GitServer, tmp_path: Path
) -> None:
    sha = server.publish("octo/act", {f"file{i}": str(i) for i in range(200)}, tag="v1")
    sources = [_source(server, tmp_path) for _ in range(4)]
    found: list[Path] = []

    async def fetch(source: ActionSource) -> None:
        found.append((await source.fetch(_ref("octo/act@v1"))).root)

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            for source in sources:
                nursery.start_soon(fetch, source)
    assert set(found) == {tmp_path / "cache" / "commits" / "octo" / "act" / sha}
    assert len(list(found[0].iterdir())) == 200
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []
