"""The real toolkit clients against `stax run --local`'s own services server: artifacts
(v4 and v3) byte for byte, large ones in parallel blocks, and the cache across runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.actions.services.clients import requires_node_clients, results, run_local

pytestmark = requires_node_clients

ALWAYS = '[services]\nlocal = "always"\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "stax.toml").write_text(ALWAYS)
    return tmp_path


def test_artifacts_round_trip_between_jobs_byte_for_byte(project: Path) -> None:
    """Uploaded by the current client, downloaded by the 2.x that upload-artifact@v4 and
    download-artifact@v4 bundle; v3 by the 1.x of the v3 actions."""
    result = run_local(
        project,
        """
        on: push
        jobs:
          make:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  mkdir -p dist/sub && : > dist/empty && head -c 70000 /dev/urandom > dist/sub/r.bin
                  printf 'héllo\\n' > "dist/ünï cødé.txt" && head -c 5000 /dev/urandom > report.bin
                  tar -cf sources.tar dist report.bin
              - run: node $CLIENTS/artifact.mjs upload dist dist
              - run: node $CLIENTS/artifact.mjs upload-raw report.bin
              - run: node $CLIENTS/artifact_v1.mjs upload dist-v3 dist
              - run: node $CLIENTS/artifact.mjs list
          use:
            needs: make
            runs-on: ubuntu-latest
            steps:
              - run: |
                  rm -rf dist report.bin && mkdir original && tar -xf sources.tar -C original
                  ARTIFACT_CLIENT=@actions/artifact-v2 node $CLIENTS/artifact.mjs download dist got
                  node $CLIENTS/artifact.mjs download report.bin got-raw
                  node $CLIENTS/artifact_v1.mjs download dist-v3 got-v3
                  diff -r original/dist got && diff -r original/dist got-v3
                  cmp original/report.bin got-raw/report.bin && echo IDENTICAL
        """,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "IDENTICAL" in result.stdout
    payloads = results(result.stdout)
    listed = next(p for p in payloads if isinstance(p, dict) and "artifacts" in p)
    assert sorted(a["name"] for a in listed["artifacts"]) == ["dist", "report.bin"]  # v4 only


def test_a_large_artifact_uploaded_in_parallel_blocks_downloads_intact(project: Path) -> None:
    """41 MiB of noise, stored without compression: six 8 MiB blocks, five in flight at
    once, which act assembles in arrival order (act #2351, #2371)."""
    result = run_local(
        project,
        """
        on: push
        jobs:
          make:
            runs-on: ubuntu-latest
            steps:
              - run: mkdir big && head -c 43000000 /dev/urandom > big/noise.bin && sha256sum big/noise.bin > sum
              - run: node $CLIENTS/artifact.mjs upload big big 0
          use:
            needs: make
            runs-on: ubuntu-latest
            steps:
              - run: rm -rf big && node $CLIENTS/artifact.mjs download big big && sha256sum -c sum
        """,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "big/noise.bin: OK" in result.stdout
    [meta] = (project / ".stax" / "runs").glob("*/artifacts/1/blob.json")
    assert len(json.loads(meta.read_text())["blocks"]) == 6


def test_cache_saved_in_one_run_is_restored_in_the_next(project: Path) -> None:
    save = run_local(
        project,
        """
        on: push
        jobs:
          save:
            runs-on: ubuntu-latest
            steps:
              - run: mkdir deps && head -c 200000 /dev/urandom > deps/lib.bin && cp deps/lib.bin lib.orig
              - run: node $CLIENTS/cache.mjs save deps-linux-1 deps
              - run: node $CLIENTS/cache.mjs save deps-linux-1 deps
              - run: node $CLIENTS/cache.mjs save v1-linux-1 deps
                env:
                  ACTIONS_CACHE_SERVICE_V2: ""
        """,
    )
    assert save.returncode == 0, save.stdout + save.stderr
    assert results(save.stdout) == [{"id": 1}, {"id": -1}, {"id": 2}]
    assert "already exists" in save.stdout  # the second save: ok:false, "already cached"
    restore = run_local(
        project,
        """
        on: push
        jobs:
          restore:
            runs-on: ubuntu-latest
            steps:
              - run: rm -rf deps && node $CLIENTS/cache.mjs restore deps-linux-1 - deps && cmp deps/lib.bin lib.orig
              - run: rm -rf deps && node $CLIENTS/cache.mjs restore deps-linux-2 deps-linux-,deps- deps && cmp deps/lib.bin lib.orig
              - run: node $CLIENTS/cache.mjs restore deps-linux-1 - deps lib.orig
              - run: rm -rf deps && node $CLIENTS/cache.mjs restore v1-linux-1 - deps && cmp deps/lib.bin lib.orig
                env:
                  ACTIONS_CACHE_SERVICE_V2: ""
        """,
    )
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert results(restore.stdout) == [
        {"matched": "deps-linux-1"},
        {"matched": "deps-linux-1"},  # by the restore key's prefix
        {"matched": None},  # other paths: another version
        {"matched": "v1-linux-1"},
    ]


def test_cache_entries_are_scoped_to_the_branch_then_the_default_branch(project: Path) -> None:
    def on(branch: str) -> list[str]:
        event = project / f"{branch}.json"
        event.write_text(
            json.dumps({"ref": f"refs/heads/{branch}", "repository": {"default_branch": "main"}})
        )
        return ["--eventpath", str(event)]

    save = """
        on: push
        jobs:
          job:
            runs-on: ubuntu-latest
            steps:
              - run: mkdir -p deps && echo "$GITHUB_REF" > deps/from
              - run: node $CLIENTS/cache.mjs save deps deps
        """
    restore = """
        on: push
        jobs:
          job:
            runs-on: ubuntu-latest
            steps:
              - run: rm -rf deps && node $CLIENTS/cache.mjs restore deps - deps && cat deps/from || true
        """
    assert results(run_local(project, save, *on("feature")).stdout) == [{"id": 1}]
    other = run_local(project, restore, *on("other"))
    assert results(other.stdout) == [{"matched": None}]  # not another branch's entry
    assert results(run_local(project, save, *on("main")).stdout) == [{"id": 2}]
    third = run_local(project, restore, *on("third"))
    assert results(third.stdout) == [{"matched": "deps"}]  # the default branch's
    assert "refs/heads/main" in third.stdout.split("RESULT", 1)[1]
