"""Asking the terminal whether a job may use its environment (and saying what to do
when there is no terminal to ask on)."""

from __future__ import annotations

import sys

import trio


class TerminalApprover:
    """Asks on the terminal; without one, refuses with a message saying what to do."""

    def __init__(self, *, interactive: bool) -> None:
        self.interactive = interactive

    async def wait_for_approval(
        self, run_id: str, job_id: str, environment: str
    ) -> tuple[bool, str]:
        if not self.interactive:
            sys.stderr.write(no_terminal_message(job_id, environment))
            return False, "no terminal (use --approve)"
        return await ask_approval(job_id, environment), "terminal"


def no_terminal_message(job_id: str, environment: str) -> str:
    return (
        f"stax: job {job_id!r} needs approval for environment {environment!r} and there "
        "is no terminal to ask on: re-run with --approve\n"
    )


async def ask_approval(job_id: str, environment: str) -> bool:
    prompt = f"Approve job {job_id!r} for environment {environment!r}? [y/N] "
    answer = await trio.to_thread.run_sync(_ask, prompt, abandon_on_cancel=True)
    return answer.strip().lower() in ("y", "yes")


def _ask(prompt: str) -> str:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline()
