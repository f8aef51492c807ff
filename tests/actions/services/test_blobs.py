"""Blob uploads as the Azure client makes them: a blob is its committed block list, in
list order, whatever order the blocks arrived in (act's corruption, #2351/#2371)."""

from __future__ import annotations

import base64
import hashlib
import os
from urllib.parse import urlsplit

import httpx
import trio

from tests.actions.services.conftest import Served


def block_id(n: int) -> str:
    return base64.b64encode(f"block-{n:06d}".encode()).decode()


def block_list(ids: list[str]) -> bytes:
    latest = "".join(f"<Latest>{i}</Latest>" for i in ids)
    return f'<?xml version="1.0" encoding="utf-8"?><BlockList>{latest}</BlockList>'.encode()


async def upload_url(served: Served, client: httpx.AsyncClient, name: str = "art") -> str:
    response = await served.twirp(
        client,
        "ArtifactService",
        "CreateArtifact",
        {
            "workflow_run_backend_id": "run1",
            "workflow_job_run_backend_id": "build",
            "name": name,
            "version": 7,
        },
    )
    assert response.status_code == 200, response.text
    url: str = response.json()["signed_upload_url"]
    return url


async def finalize(
    served: Served, client: httpx.AsyncClient, name: str, digest: str
) -> httpx.Response:
    return await served.twirp(
        client,
        "ArtifactService",
        "FinalizeArtifact",
        {
            "workflow_run_backend_id": "run1",
            "workflow_job_run_backend_id": "build",
            "name": name,
            "size": "0",
            "hash": f"sha256:{digest}",
        },
    )


async def download(served: Served, client: httpx.AsyncClient, name: str) -> bytes:
    response = await served.twirp(
        client,
        "ArtifactService",
        "GetSignedArtifactURL",
        {"workflow_run_backend_id": "run1", "workflow_job_run_backend_id": "build", "name": name},
    )
    assert response.status_code == 200, response.text
    async with httpx.AsyncClient(timeout=10) as plain:
        blob = await plain.get(response.json()["signed_url"])
    assert blob.status_code == 200, blob.text
    assert blob.headers["x-ms-request-id"]
    return blob.content


async def test_blocks_staged_out_of_order_and_in_parallel_are_assembled_in_list_order(
    served: Served,
) -> None:
    blocks = [os.urandom(256 * 1024) for _ in range(8)]
    async with served.client(served.token()) as client, httpx.AsyncClient(timeout=10) as plain:
        url = await upload_url(served, client)

        async def stage(n: int) -> None:
            md5 = base64.b64encode(hashlib.md5(blocks[n]).digest()).decode()
            response = await plain.put(
                f"{url}&comp=block&blockid={block_id(n)}",
                content=blocks[n],
                headers={"Content-MD5": md5} if n % 2 else {},
            )
            assert response.status_code == 201, response.text
            assert response.headers.get("content-md5") == (md5 if n % 2 else None)
            assert response.headers["x-ms-request-id"]

        # Reversed, and the later half all at once: arrival order is not blob order.
        for n in (7, 6, 5, 4):
            await stage(n)
        async with trio.open_nursery() as nursery:
            for n in (3, 1, 2, 0):
                nursery.start_soon(stage, n)
        committed = await plain.put(
            f"{url}&comp=blocklist",
            content=block_list([block_id(n) for n in range(8)]),
            headers={"x-ms-blob-content-type": "application/zip"},
        )
        assert committed.status_code == 201, committed.text
        whole = b"".join(blocks)
        finalized = await finalize(served, client, "art", hashlib.sha256(whole).hexdigest())
        assert finalized.status_code == 200, finalized.text
        assert await download(served, client, "art") == whole


async def test_a_restaged_block_keeps_its_last_content_and_unlisted_blocks_are_dropped(
    served: Served,
) -> None:
    async with served.client(served.token()) as client, httpx.AsyncClient(timeout=10) as plain:
        url = await upload_url(served, client)
        for n, data in ((0, b"first try"), (1, b"-middle-"), (0, b"retried "), (2, b"unused")):
            response = await plain.put(f"{url}&comp=block&blockid={block_id(n)}", content=data)
            assert response.status_code == 201
        response = await plain.put(
            f"{url}&comp=blocklist", content=block_list([block_id(1), block_id(0)])
        )
        assert response.status_code == 201, response.text
        # The commit is idempotent: the Azure client retries it after a timeout.
        again = await plain.put(
            f"{url}&comp=blocklist", content=block_list([block_id(1), block_id(0)])
        )
        assert again.status_code == 201, again.text
        content = b"-middle-retried "
        await finalize(served, client, "art", hashlib.sha256(content).hexdigest())
        assert await download(served, client, "art") == content


async def test_a_block_list_naming_an_unstaged_block_is_refused_in_azures_words(
    served: Served,
) -> None:
    async with served.client(served.token()) as client, httpx.AsyncClient(timeout=10) as plain:
        url = await upload_url(served, client)
        await plain.put(f"{url}&comp=block&blockid={block_id(0)}", content=b"x")
        response = await plain.put(
            f"{url}&comp=blocklist", content=block_list([block_id(0), block_id(1)])
        )
        assert response.status_code == 400
        assert response.headers["x-ms-error-code"] == "InvalidBlockList"
        assert b"<Code>InvalidBlockList</Code>" in response.content
        bad = await plain.put(f"{url}&comp=block&blockid=not*base64", content=b"x")
        assert bad.status_code == 400
        not_xml = await plain.put(f"{url}&comp=blocklist", content=b"<BlockList><Latest>")
        assert not_xml.status_code == 400


async def test_one_shot_put_and_content_md5_checked(served: Served) -> None:
    async with served.client(served.token()) as client, httpx.AsyncClient(timeout=10) as plain:
        url = await upload_url(served, client)
        body = os.urandom(100_000)
        wrong = await plain.put(
            url,
            content=body,
            headers={
                "x-ms-blob-type": "BlockBlob",
                "Content-MD5": base64.b64encode(b"0" * 16).decode(),
            },
        )
        assert wrong.status_code == 400
        assert wrong.headers["x-ms-error-code"] == "Md5Mismatch"
        right = await plain.put(
            url,
            content=body,
            headers={
                "x-ms-blob-type": "BlockBlob",
                "Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode(),
            },
        )
        assert right.status_code == 201, right.text
        await finalize(served, client, "art", hashlib.sha256(body).hexdigest())
        assert await download(served, client, "art") == body


async def test_blob_urls_are_their_own_credential(served: Served) -> None:
    async with served.client(served.token()) as client, httpx.AsyncClient(timeout=10) as plain:
        url = await upload_url(served, client)
        parts = urlsplit(url)
        tampered = url.replace("sig=", "sig=x")
        assert (await plain.put(tampered, content=b"x")).status_code == 403
        unsigned = f"{parts.scheme}://{parts.netloc}{parts.path}"
        assert (await plain.put(unsigned, content=b"x")).status_code == 403
        as_read = url.replace("sp=w", "sp=r")
        assert (await plain.get(as_read)).status_code == 403  # the signature covers sp
        other = url.replace("/art.zip", "/other.zip")
        assert (await plain.put(other, content=b"x")).status_code == 403
        # A write URL does not read; once finalized, the blob no longer takes writes.
        assert (await plain.put(url, content=b"done")).status_code == 201
        assert (await plain.get(url)).status_code == 403
        await finalize(served, client, "art", hashlib.sha256(b"done").hexdigest())
        late = await plain.put(url, content=b"changed")
        assert late.status_code == 409
        assert late.headers["x-ms-error-code"] == "BlobImmutable"
        assert await download(served, client, "art") == b"done"


async def test_a_refused_upload_leaves_the_connection_usable(served: Served) -> None:
    """Refused before its body is read, a request's body is still drained: the next
    request on the same keep-alive connection is answered."""
    async with httpx.AsyncClient(base_url=served.url, timeout=5) as client:
        for _ in range(3):
            response = await client.put(
                "/_services/blobs/artifacts/run1/1/a.zip?sp=w&se=1&sig=x", content=b"z" * 2_000_000
            )
            assert response.status_code == 403
        assert (await client.get("/_services/nothing")).status_code == 404


async def test_requests_follow_one_another_on_one_connection(served: Served) -> None:
    """A GET (no body to read) answered, the same connection takes the next request."""
    host = served.url.removeprefix("http://")
    address, port = host.rsplit(":", 1)
    stream = await trio.open_tcp_stream(address, int(port))
    async with stream:
        for _ in range(3):
            await stream.send_all(
                f"GET /_services/nothing HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
            )
            response = b""
            with trio.fail_after(5):
                while b"\r\n\r\n" not in response or not response.endswith(b"}"):
                    chunk = await stream.receive_some(65536)
                    assert chunk, "the server closed the connection"
                    response += chunk
            assert response.startswith(b"HTTP/1.1 404")
