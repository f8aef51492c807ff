"""Thread commands (seed 004): `POST /threads/{thread_id}/commands` {id, method, params}.

    run.start      {assistant_id, input?, config?, metadata?}
                   -> {type: success, id, result: {run_id}, meta: {applied_through_seq}}
                   Starts a run of the workflow `assistant_id` on the thread (creating the
                   thread, owned by the caller, if it does not exist). `input` is the
                   workflow's inputs (workflow_dispatch's when it has that trigger).
                   One run at a time per thread: while one is unfinished, run.start is
                   refused (its job namespaces would be ambiguous); answer a waiting job
                   with input.respond. `applied_through_seq` is a seq below every event
                   of the new run and at or above every earlier event of the thread.
    input.respond  {interrupt_id, namespace?, response} or {responses: [...]}
                   -> {type: success, id, result: {}}
                   Answers the approval an `input.requested` event asked for: `response`
                   true / {"approved": true} approves the waiting job, false rejects it.

The protocol has no command to cancel a run (stax's is POST /api/runs/{id}/cancel).
Other protocol commands (subscription.*, agent.getTree, input.inject, state.*) answer
`not_supported`, anything else `unknown_command`. Every command error comes back on
HTTP 200 as {type: error, id, error, message} (id null when the command had none).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from runner.api.agent.threads import find_assistant
from runner.api.agent.wire import applied_through, parse_interrupt_id
from runner.engine import RunRequest, new_run_id
from runner.errors import EngineFailure, RunError, Unavailable

if TYPE_CHECKING:
    from runner.api.agent.threads import AgentThreads
    from runner.api.services import Services
    from runner.expressions.values import JSONValue
    from runner.model import Workflow

_NOT_SUPPORTED = frozenset(
    {
        "subscription.subscribe",
        "subscription.unsubscribe",
        "subscription.reconnect",
        "agent.getTree",
        "input.inject",
        "state.get",
        "state.listCheckpoints",
        "state.fork",
    }
)
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class CommandError(Exception):
    """A command that cannot be carried out: an error envelope, not an HTTP error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error(command_id: int | None, code: str, message: str) -> dict[str, JSONValue]:
    return {"type": "error", "id": command_id, "error": code, "message": message}


async def run_command(
    services: Services,
    threads: AgentThreads,
    thread_id: str,
    owner: str,
    command: dict[str, Any],
) -> dict[str, JSONValue]:
    """Carry out one command and return its response envelope (success or error)."""
    raw_id = command.get("id")
    command_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
    method = command.get("method")
    params = command.get("params", {})
    if command_id is None or command_id < 0:
        return error(None, "invalid_argument", "a command needs an integer id >= 0")
    if not isinstance(method, str) or not method:
        return error(command_id, "invalid_argument", "a command needs a string method")
    if not isinstance(params, dict):
        return error(command_id, "invalid_argument", "params must be an object")
    try:
        if method == "run.start":
            run_id, through = await _run_start(services, threads, thread_id, owner, params)
            return {
                "type": "success",
                "id": command_id,
                "result": {"run_id": run_id},
                "meta": {"applied_through_seq": through},
            }
        if method == "input.respond":
            await _input_respond(services, threads, thread_id, params)
            return {"type": "success", "id": command_id, "result": {}}
    except CommandError as exc:
        return error(command_id, exc.code, exc.message)
    if method in _NOT_SUPPORTED:
        return error(command_id, "not_supported", f"stax does not support {method!r}")
    return error(command_id, "unknown_command", f"unknown command {method!r}")


async def _run_start(
    services: Services,
    threads: AgentThreads,
    thread_id: str,
    owner: str,
    params: dict[str, Any],
) -> tuple[str, int]:
    assistant_id = params.get("assistant_id")
    if not isinstance(assistant_id, str) or not _NAME.fullmatch(assistant_id):
        raise CommandError(
            "invalid_argument", "run.start needs assistant_id: the name of a workflow"
        )
    inputs = params.get("input")
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise CommandError(
            "invalid_argument", "input must be an object: the workflow's inputs by name"
        )
    workflow = await _workflow(services, assistant_id)
    store = threads.store
    async with threads.locked(thread_id):
        thread = await store.get(thread_id)
        for other in thread.run_ids if thread is not None else ():
            if await _unfinished(services, other):
                raise CommandError(
                    "invalid_argument",
                    f"run {other} is still going on this thread; wait for it to end "
                    "(or answer its waiting job with input.respond)",
                )
        run_id = new_run_id()
        recorded = await store.add_run(thread_id, run_id, owner=owner)
        if recorded is None:
            raise CommandError("permission_denied", f"thread {thread_id!r} is not yours")
        # Every event of the new run comes after this: it has not started yet.
        through = applied_through(services.store.last_seq)
        request = RunRequest(
            workflow=workflow,
            workdir=services.settings.root,
            event_name="workflow_dispatch" if "workflow_dispatch" in workflow.on else None,
            inputs=inputs,
            run_id=run_id,
        )
        try:
            await services.manager.start(request)
        except (RunError, Unavailable, EngineFailure) as exc:
            await store.remove_run(thread_id, run_id)
            code = "invalid_argument" if isinstance(exc, RunError) else "unknown_error"
            raise CommandError(code, str(exc)) from None
    return run_id, through


async def _unfinished(services: Services, run_id: str) -> bool:
    """Whether the run has not ended. A run has ended once its run.completed is committed
    (a client that saw the root end may start the next run at once), even while its task
    is still cleaning up."""
    if run_id not in services.manager.active:
        return False
    run = await services.store.get_run(run_id)
    return run is None or run.get("status") != "completed"


async def _workflow(services: Services, assistant_id: str) -> Workflow:
    assistant = await find_assistant(services, assistant_id)
    if assistant is None:
        raise CommandError("invalid_argument", f"no assistant (workflow) named {assistant_id!r}")
    if assistant.workflow is None:
        raise CommandError(
            "invalid_argument", f"workflow {assistant_id!r} is not valid: {assistant.error}"
        )
    return assistant.workflow


async def _input_respond(
    services: Services, threads: AgentThreads, thread_id: str, params: dict[str, Any]
) -> None:
    entries = params.get("responses")
    if entries is None:
        entries = [params]
    if not isinstance(entries, list) or not entries:
        raise CommandError("invalid_argument", "responses must be a non-empty array")
    answers = [_answer(entry) for entry in entries]
    thread = await threads.store.get(thread_id)
    runs = set(thread.run_ids) if thread is not None else set()
    for interrupt, namespace, approved in answers:
        parsed = parse_interrupt_id(interrupt)
        if parsed is None or parsed[0] not in runs:
            raise CommandError(
                "no_such_interrupt", f"no interrupt {interrupt!r} on thread {thread_id!r}"
            )
        run_id, job_id = parsed
        if namespace is not None and namespace != [job_id]:
            raise CommandError(
                "no_such_namespace",
                f"interrupt {interrupt!r} is in namespace [{job_id!r}], not {namespace!r}",
            )
        if not await services.manager.approve(
            run_id, job_id, approved=approved, by="agent-protocol"
        ):
            raise CommandError(
                "no_such_interrupt",
                f"job {job_id!r} of run {run_id} is not waiting for an approval",
            )


def _answer(entry: object) -> tuple[str, list[str] | None, bool]:
    """(interrupt_id, namespace, approved) of one response."""
    if not isinstance(entry, dict):
        raise CommandError("invalid_argument", "each response must be an object")
    interrupt = entry.get("interrupt_id")
    if not isinstance(interrupt, str) or not interrupt:
        raise CommandError("invalid_argument", "input.respond needs interrupt_id")
    namespace = entry.get("namespace")
    if namespace is not None and not (
        isinstance(namespace, list) and all(isinstance(s, str) for s in namespace)
    ):
        raise CommandError("invalid_argument", "namespace must be an array of strings")
    if "response" not in entry:
        raise CommandError("invalid_argument", "input.respond needs a response")
    response = entry["response"]
    if isinstance(response, dict):
        response = response.get("approved", response.get("approve"))
    if not isinstance(response, bool):
        raise CommandError(
            "invalid_argument",
            'response must be true (approve) or false (reject), or {"approved": true|false}',
        )
    return interrupt, namespace, response
