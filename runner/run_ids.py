"""Run ids: stax's own (eight hex digits, like seed 003's `a1b2c3d4`) and the number
GitHub's `run_id` is, read from it. Steps see the number (`GITHUB_RUN_ID`), so what
they send back (the v3 artifact API's paths) may name a run either way."""

from __future__ import annotations

import secrets
import zlib


def new_run_id() -> str:
    return secrets.token_hex(4)


def numeric_run_id(run_id: str) -> str:
    """`github.run_id`: stax's hex run id read as a number (a run id that is not hex,
    e.g. one a client named, by its CRC-32)."""
    try:
        return str(int(run_id, 16))
    except ValueError:
        return str(zlib.crc32(run_id.encode()))


def same_run(given: str, run_id: str) -> bool:
    """Whether `given` names `run_id`, as stax writes it or as GitHub's number."""
    return given in (run_id, numeric_run_id(run_id))
