"""Artifact and cache throughput through the runner services, with the real clients.

    python bench/services.py [--mb 256] [--reps 3]

The toolkit clients (tests/node/services/*.mjs: @actions/artifact and @actions/cache,
as upload-artifact, download-artifact and actions/cache run them) move one file of
--mb MiB of random bytes (incompressible: stored as is) through

* `local`: the loopback server `stax run --local` starts (h11, in this process);
* `daemon`: a daemon's own port (Hypercorn; the services are mounted ahead of its app).

Each line is the median of --reps: the wall time of the client process (node's start
and the client's zip/unzip or tar/zstd included) and MiB/s over it. `tiny` is the same
with a 1 KiB file: what one call costs whatever its size. The `blob PUT/GET (curl)` lines
move the same file as one blob with curl, no client work around it: the server's own
ceiling. Needs node and the packages in tests/node (npm install there), and curl.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import trio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from runner.actions.services import (  # noqa: E402
    CacheScope,
    RuntimeClaims,
    mint_token,
)
from runner.actions.services.local_server import LocalServices  # noqa: E402
from runner.config import Settings, load_settings  # noqa: E402
from runner.daemon.serve import serve  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

CLIENTS = REPO / "tests" / "node" / "services"
RUN_ID = "bench0001"


def project_settings(root: Path) -> Settings:
    root.mkdir(parents=True)
    (root / "stax.toml").write_text("port = 0\n[services]\ncache_size_mb = 100000\n")
    return load_settings(start=root)


@asynccontextmanager
async def served(kind: str, root: Path) -> AsyncIterator[tuple[str, bytes]]:
    """(origin, signing key) of the services, served the `kind` way."""
    settings = project_settings(root)
    async with trio.open_nursery() as nursery:
        if kind == "local":
            server = LocalServices(settings, data_dir=settings.data_dir)
            access = await nursery.start(server.run)
            yield access.url, access.key
        else:
            shutdown = trio.Event()
            address = await nursery.start(
                lambda task_status: serve(settings, shutdown=shutdown, task_status=task_status)
            )
            runner = address.services.runner_services if address.services else None
            assert runner is not None
            yield address.url, runner.key
            shutdown.set()
        nursery.cancel_scope.cancel()


async def client(script: str, args: list[str], env: dict[str, str], cwd: Path) -> float:
    return await timed(["node", str(CLIENTS / script), *args], env, cwd, expect=b"RESULT")


async def timed(argv: list[str], env: dict[str, str], cwd: Path, *, expect: bytes) -> float:
    started = time.perf_counter()
    result = await trio.run_process(
        argv,
        cwd=cwd,
        env=env,
        capture_stdout=True,
        capture_stderr=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0 or expect not in result.stdout:
        raise SystemExit(f"{argv} failed:\n{result.stdout.decode()}{result.stderr.decode()}")
    return elapsed


async def curl_round_trip(
    url: str, token: str, data: Path, name: str, env: dict[str, str], cwd: Path
) -> tuple[float, float]:
    """PUT `data` as one blob with curl, then GET it: (seconds up, seconds down)."""
    twirp = f"{url}/twirp/github.actions.results.api.v1.ArtifactService/"
    ids = {"workflow_run_backend_id": RUN_ID, "workflow_job_run_backend_id": "bench", "name": name}
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as api:
        upload = (await api.post(f"{twirp}CreateArtifact", json=ids)).json()["signed_upload_url"]
        curl = ["curl", "-sS", "-f", "-o", "/dev/null", "-w", "%{http_code}"]
        put = [*curl, "-T", str(data), "-H", "x-ms-blob-type: BlockBlob", upload]
        up = await timed(put, env, cwd, expect=b"201")
        await api.post(f"{twirp}FinalizeArtifact", json=ids)
        download = (await api.post(f"{twirp}GetSignedArtifactURL", json=ids)).json()["signed_url"]
    down = await timed([*curl, download], env, cwd, expect=b"200")
    return up, down


def write_noise(path: Path, size: int) -> str:
    """`size` random bytes into `path`; their SHA-256."""
    sha = hashlib.sha256()
    with open(path, "wb") as handle:
        while size > 0:
            chunk = os.urandom(min(size, 1024 * 1024))
            handle.write(chunk)
            sha.update(chunk)
            size -= len(chunk)
    return sha.hexdigest()


async def bench(kind: str, mb: float, reps: int, root: Path) -> list[tuple[str, str, float, float]]:
    work = root / f"work-{kind}-{mb}"
    (work / "data").mkdir(parents=True)
    data = work / "data" / "blob.bin"
    digest = write_noise(data, int(mb * 1024 * 1024))
    rows: list[tuple[str, str, float, float]] = []
    async with served(kind, root / f"served-{kind}-{mb}") as (url, key):
        claims = RuntimeClaims(
            run_id=RUN_ID,
            job_id="bench",
            cache_scopes=(CacheScope(scope="refs/heads/main", writable=True),),
        )
        env = {
            **os.environ,
            "ACTIONS_RESULTS_URL": f"{url}/",
            "ACTIONS_RUNTIME_URL": f"{url}/_services/",
            "ACTIONS_CACHE_URL": f"{url}/_services/",
            "ACTIONS_CACHE_SERVICE_V2": "true",
            "ACTIONS_RUNTIME_TOKEN": mint_token(key, claims),
            "GITHUB_WORKSPACE": str(work),
            "GITHUB_RUN_ID": RUN_ID,
            "RUNNER_TEMP": str(work / "tmp"),
        }
        (work / "tmp").mkdir()
        timings: dict[str, list[float]] = {}
        for rep in range(reps):
            name = f"a{rep}"
            out = work / f"out{rep}"
            steps = [
                ("upload (v4)", "artifact.mjs", ["upload", name, "data", "0"]),
                ("download (v4)", "artifact.mjs", ["download", name, str(out)]),
                ("cache save (v2)", "cache.mjs", ["save", f"k{rep}", "data"]),
                ("cache restore (v2)", "cache.mjs", ["restore", f"k{rep}", "-", "data"]),
            ]
            for label, script, args in steps:
                timings.setdefault(label, []).append(await client(script, args, env, work))
            if hashlib.sha256((out / "blob.bin").read_bytes()).hexdigest() != digest:
                raise SystemExit("the downloaded artifact differs from the uploaded one")
            if mb >= 1 and shutil.which("curl"):
                up, down = await curl_round_trip(
                    url, env["ACTIONS_RUNTIME_TOKEN"], data, f"curl{rep}", env, work
                )
                timings.setdefault("blob PUT (curl)", []).append(up)
                timings.setdefault("blob GET (curl)", []).append(down)
        for label, values in timings.items():
            seconds = statistics.median(values)
            rows.append((kind, label, seconds, mb / seconds))
    return rows


async def main(args: argparse.Namespace) -> None:
    rows: list[tuple[str, str, str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="stax-bench-services-") as tmp:
        for kind in ("local", "daemon"):
            for size, mb in (("tiny", 1 / 1024), (f"{args.mb} MiB", float(args.mb))):
                for server, label, seconds, rate in await bench(kind, mb, args.reps, Path(tmp)):
                    rows.append((server, size, label, seconds, rate))
    print(f"| server | size | operation | seconds (median of {args.reps}) | MiB/s |")
    print("| --- | --- | --- | --- | --- |")
    for server, size, label, seconds, rate in rows:
        shown = f"{rate:.0f}" if size != "tiny" else "—"
        print(f"| {server} | {size} | {label} | {seconds:.2f} | {shown} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=256)
    parser.add_argument("--reps", type=int, default=3)
    trio.run(main, parser.parse_args())
