"""`jobs:` of a workflow: each job, and the `needs` graph between them.

A job either runs steps (`runs-on` + `steps`) or calls a reusable workflow
(`uses`), never both; `needs` must name jobs of this workflow and must not
form a cycle (each cycle is reported once, as its path).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from runner.model.expression_syntax import check_condition
from runner.model.shared_keys import check_permissions, parse_concurrency, parse_defaults
from runner.model.steps import parse_steps
from runner.model.strategy import parse_strategy
from runner.model.types import Defaults, Environment, Job
from runner.model.validate import (
    bool_or_expression,
    check_id,
    check_keys,
    condition,
    describe,
    env_mapping,
    join,
    mapping,
    nonempty_string,
    number_or_expression,
    require_keys,
    string,
    string_list,
)
from runner.model.yaml_nodes import MappingNode, ScalarNode, SequenceNode

if TYPE_CHECKING:
    from runner.errors import SourcePos
    from runner.expressions.values import JSONValue
    from runner.model.types import Step
    from runner.model.validate import Problems
    from runner.model.yaml_nodes import Node

JOB_KEYS: tuple[str, ...] = (
    "name",
    "needs",
    "runs-on",
    "permissions",
    "environment",
    "concurrency",
    "outputs",
    "env",
    "defaults",
    "if",
    "steps",
    "timeout-minutes",
    "strategy",
    "continue-on-error",
    "container",
    "services",
    "uses",
    "with",
    "secrets",
)
# What GitHub allows in a job that calls a reusable workflow.
CALLER_JOB_KEYS: tuple[str, ...] = (
    "name",
    "needs",
    "if",
    "permissions",
    "strategy",
    "concurrency",
    "uses",
    "with",
    "secrets",
)
_REUSABLE = re.compile(r"\./\S+\.ya?ml|[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/\S+\.ya?ml@\S+")


def parse_jobs(node: Node, problems: Problems, where: str = "jobs") -> dict[str, Job]:
    """Parse `jobs:` in file order, then check `needs` across them."""
    body = mapping(node, problems, where)
    if body is None:
        return {}
    if not body.value:
        problems.add("a workflow must have at least one job", body.pos, where)
    jobs: dict[str, Job] = {}
    for job_id, job_node in body.items():
        at = join(where, job_id)
        check_id(job_id, body.pos_of_key(job_id), problems, at, "job id")
        job = _job(job_id, job_node, body.pos_of_key(job_id), problems, at)
        if job is not None:
            jobs[job_id] = job
    _check_needs(body, problems, where)
    return jobs


def _job(job_id: str, node: Node, pos: SourcePos, problems: Problems, where: str) -> Job | None:
    body = mapping(node, problems, where, "a job must be")
    if body is None:
        return None
    check_keys(body, JOB_KEYS, problems, where)

    def at(key: str) -> str:
        return join(where, key)

    uses = _uses(body, pos, problems, where)
    steps: tuple[Step, ...] = ()
    if (steps_node := body.get("steps")) is not None and uses is None and "uses" not in body:
        steps = _steps(steps_node, problems, at("steps"))

    needs: tuple[str, ...] = ()
    if (needs_node := body.get("needs")) is not None:
        needs = string_list(needs_node, problems, at("needs"))
    if_ = None
    if (if_node := body.get("if")) is not None:
        if_ = condition(if_node, problems, at("if"))
        check_condition(if_node, problems, at("if"))
    if (permissions := body.get("permissions")) is not None:
        check_permissions(permissions, problems, at("permissions"))
    name_node = body.get("name")
    env_node = body.get("env")
    defaults_node = body.get("defaults")
    concurrency_node = body.get("concurrency")
    strategy_node = body.get("strategy")
    timeout: JSONValue = 360
    if (timeout_node := body.get("timeout-minutes")) is not None:
        timeout = number_or_expression(timeout_node, problems, at("timeout-minutes"), positive=True)
    continue_on_error: JSONValue = False
    if (coe_node := body.get("continue-on-error")) is not None:
        continue_on_error = bool_or_expression(coe_node, problems, at("continue-on-error"))
    return Job(
        id=job_id,
        pos=pos,
        name=string(name_node, problems, at("name")) if name_node is not None else None,
        needs=needs,
        if_=if_,
        runs_on=_runs_on(body.get("runs-on"), problems, at("runs-on")),
        environment=_environment(body.get("environment"), problems, at("environment")),
        outputs=_outputs(body.get("outputs"), problems, at("outputs")),
        env=env_mapping(env_node, problems, at("env")) if env_node is not None else {},
        defaults=(
            parse_defaults(defaults_node, problems, at("defaults"))
            if defaults_node is not None
            else Defaults()
        ),
        strategy=(
            parse_strategy(strategy_node, problems, at("strategy"))
            if strategy_node is not None
            else None
        ),
        timeout_minutes=timeout,
        continue_on_error=continue_on_error,
        concurrency=(
            parse_concurrency(concurrency_node, problems, at("concurrency"))
            if concurrency_node is not None
            else None
        ),
        steps=steps,
        uses=uses,
        with_=_with(body.get("with"), problems, at("with")),
        secrets=_secrets(body.get("secrets"), problems, at("secrets")),
        container=_container(body.get("container"), problems, at("container")),
        services=_services(body.get("services"), problems, at("services")),
        key_pos=dict(body.key_pos),
    )


def _uses(body: MappingNode, pos: SourcePos, problems: Problems, where: str) -> str | None:
    """A job's `uses:` (a reusable workflow it calls), and the keys allowed beside it
    or without it."""

    def at(key: str) -> str:
        return join(where, key)

    uses = None
    if (uses_node := body.get("uses")) is not None:
        uses = nonempty_string(uses_node, problems, at("uses"))
        if uses is not None and not _REUSABLE.fullmatch(uses):
            problems.add(
                f'invalid reusable workflow "{uses}": expected "./.github/workflows/NAME.yml" '
                'or "owner/repo/.github/workflows/NAME.yml@ref"',
                uses_node.pos,
                at("uses"),
            )
        for key in body.value:
            if key in JOB_KEYS and key not in CALLER_JOB_KEYS:
                problems.add(
                    f'"{key}" is not allowed in a job that calls a reusable workflow ("uses"); '
                    f"allowed keys there are: {', '.join(CALLER_JOB_KEYS)}",
                    body.pos_of_key(key),
                    at(key),
                )
    else:
        require_keys(body, ("runs-on",), problems, where, pos)
        if "steps" not in body:
            problems.add(
                'a job must have "steps" (or "uses" to call a reusable workflow)', pos, where
            )
        for key in ("with", "secrets"):
            if key in body:
                problems.add(
                    f'"{key}" is only allowed in a job that calls a reusable workflow ("uses")',
                    body.pos_of_key(key),
                    at(key),
                )
    return uses


def _steps(node: Node, problems: Problems, where: str) -> tuple[Step, ...]:
    steps = parse_steps(node, problems, where)
    if isinstance(node, SequenceNode) and not node.value:
        problems.add("a job must have at least one step", node.pos, where)
    return steps


def _runs_on(node: Node | None, problems: Problems, where: str) -> JSONValue:
    if node is None:
        return None
    if isinstance(node, ScalarNode) and isinstance(node.value, str) and node.value.strip():
        return node.value
    if isinstance(node, SequenceNode) and node.value:
        return list(string_list(node, problems, where))
    if isinstance(node, MappingNode):
        check_keys(node, ("group", "labels"), problems, where)
        if "group" not in node and "labels" not in node:
            problems.add('must have "group" or "labels"', node.pos, where)
        if (group := node.get("group")) is not None:
            nonempty_string(group, problems, join(where, "group"))
        if (labels := node.get("labels")) is not None:
            string_list(labels, problems, join(where, "labels"))
        return node.to_json()
    problems.add(
        "must be a runner label, a list of labels or a mapping with group and labels, "
        f"not {describe(node)}",
        node.pos,
        where,
    )
    return None


def _environment(node: Node | None, problems: Problems, where: str) -> Environment | None:
    if node is None:
        return None
    if isinstance(node, ScalarNode):
        name = nonempty_string(node, problems, where)
        return Environment(name=name) if name is not None else None
    body = mapping(node, problems, where, "must be a string (the name) or")
    if body is None:
        return None
    check_keys(body, ("name", "url"), problems, where)
    require_keys(body, ("name",), problems, where, body.pos)
    name_node, url_node = body.get("name"), body.get("url")
    name = nonempty_string(name_node, problems, join(where, "name")) if name_node else None
    url = string(url_node, problems, join(where, "url")) if url_node else None
    return Environment(name=name, url=url) if name is not None else None


def _outputs(node: Node | None, problems: Problems, where: str) -> dict[str, str]:
    if node is None:
        return {}
    body = mapping(node, problems, where)
    if body is None:
        return {}
    outputs: dict[str, str] = {}
    for name, value in body.items():
        check_id(name, body.pos_of_key(name), problems, join(where, name), "output id")
        outputs[name] = string(value, problems, join(where, name)) or ""
    return outputs


def _with(node: Node | None, problems: Problems, where: str) -> dict[str, JSONValue]:
    if node is None:
        return {}
    body = mapping(node, problems, where)
    return {key: value.to_json() for key, value in body.items()} if body else {}


def _secrets(
    node: Node | None, problems: Problems, where: str
) -> str | dict[str, JSONValue] | None:
    if node is None:
        return None
    if isinstance(node, ScalarNode) and node.value == "inherit":
        return "inherit"
    body = mapping(node, problems, where, 'must be "inherit" or')
    return {key: value.to_json() for key, value in body.items()} if body else None


def _container(node: Node | None, problems: Problems, where: str) -> JSONValue:
    if node is None:
        return None
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        return node.value
    if isinstance(node, MappingNode):
        return node.to_json()
    problems.add(f"must be an image name or a mapping, not {describe(node)}", node.pos, where)
    return None


def _services(node: Node | None, problems: Problems, where: str) -> JSONValue:
    if node is None:
        return None
    body = mapping(node, problems, where)
    return body.to_json() if body is not None else None


def _check_needs(jobs: MappingNode, problems: Problems, where: str) -> None:
    graph: dict[str, list[str]] = {}
    for job_id, job_node in jobs.items():
        needs = job_node.get("needs") if isinstance(job_node, MappingNode) else None
        items = _need_items(needs)
        graph[job_id] = []
        for need, need_pos in items:
            if need in jobs:
                graph[job_id].append(need)
                continue
            import difflib  # only for a mistake: not on every start-up

            close = difflib.get_close_matches(need, list(jobs.value), n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            problems.add(
                f'unknown job "{need}"{hint}', need_pos, join(join(where, job_id), "needs")
            )
    for cycle in _cycles(graph):
        first = jobs.get(cycle[0])
        at = first.pos_of_key("needs") if isinstance(first, MappingNode) else jobs.pos
        problems.add(
            f"dependency cycle: {' -> '.join(cycle)}", at, join(join(where, cycle[0]), "needs")
        )


def _need_items(node: Node | None) -> list[tuple[str, SourcePos]]:
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        return [(node.value, node.pos)]
    if isinstance(node, SequenceNode):
        return [
            (item.value, item.pos)
            for item in node.value
            if isinstance(item, ScalarNode) and isinstance(item.value, str)
        ]
    return []


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Every dependency cycle found by a depth-first walk, each once, from its earliest job."""
    order = {job: index for index, job in enumerate(graph)}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found: dict[tuple[str, ...], list[str]] = {}
    for root in graph:
        if root in state:
            continue
        path: list[str] = [root]
        todo = [iter(graph[root])]
        state[root] = 1
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                todo.pop()
            elif state.get(nxt) == 1:
                loop = path[path.index(nxt) :]
                start = min(range(len(loop)), key=lambda i: order[loop[i]])
                loop = loop[start:] + loop[:start]
                found.setdefault(tuple(loop), [*loop, loop[0]])
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                todo.append(iter(graph[nxt]))
    return list(found.values())
