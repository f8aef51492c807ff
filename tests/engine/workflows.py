"""Workflow text for engine tests: most of them need one job and only differ in its steps."""

from __future__ import annotations

import textwrap

_ONE_JOB = """\
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
"""


def one_job(steps: str) -> str:
    """A push workflow of one job `j` on ubuntu-latest running `steps` (a YAML list of
    steps, at any indentation)."""
    return _ONE_JOB + textwrap.indent(textwrap.dedent(steps).strip("\n"), " " * 6) + "\n"
