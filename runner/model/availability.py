"""Which named values and special functions an expression may use, by where it is written.

GitHub checks this when it loads a workflow ("Contexts reference → Context
availability"): `matrix` in the workflow's `env`, or `steps` in a job's
`if`, makes the file invalid before anything runs, as does a name that is
no context at all (`matrx`). The table below is GitHub's, key for key; a
place the table does not list is checked for unknown names only.

A place is the dotted path of a value with ids written as `<job_id>` and
the like and without list indexes (`jobs.<job_id>.steps.with`); a value
falls under the longest key that is a prefix of its path.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTEXTS = frozenset(
    {
        "github",
        "env",
        "vars",
        "job",
        "jobs",
        "steps",
        "runner",
        "secrets",
        "strategy",
        "matrix",
        "needs",
        "inputs",
    }
)
STATUS_FUNCTIONS = frozenset({"always", "cancelled", "failure", "success"})
SPECIAL_FUNCTIONS = STATUS_FUNCTIONS | {"hashfiles"}


@dataclass(frozen=True, slots=True)
class Availability:
    contexts: frozenset[str]
    functions: frozenset[str] = frozenset()  # of SPECIAL_FUNCTIONS; the others work anywhere


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_RUN_LEVEL = _names("github inputs vars")
_JOB_LEVEL = _names("github needs strategy matrix vars inputs")
_STEP_LEVEL = _names("github needs strategy matrix job runner env vars secrets steps inputs")
_STEP_KEYS = ("continue-on-error", "env", "name", "run", "timeout-minutes", "with")

TABLE: dict[str, Availability] = {
    "run-name": Availability(_RUN_LEVEL),
    "concurrency": Availability(_RUN_LEVEL),
    "on.workflow_call.inputs.<inputs_id>.default": Availability(_RUN_LEVEL),
    "env": Availability(_names("github secrets inputs vars")),
    "on.workflow_call.outputs.<output_id>.value": Availability(_names("github jobs vars inputs")),
    "jobs.<job_id>.strategy": Availability(_names("github needs vars inputs")),
    "jobs.<job_id>.if": Availability(_names("github needs vars inputs"), STATUS_FUNCTIONS),
    "jobs.<job_id>.env": Availability(_JOB_LEVEL | {"secrets"}),
    "jobs.<job_id>.secrets.<secrets_id>": Availability(_JOB_LEVEL | {"secrets"}),
    **{
        f"jobs.<job_id>.{key}": Availability(_JOB_LEVEL)
        for key in (
            "concurrency",
            "container",
            "container.image",
            "continue-on-error",
            "environment",
            "name",
            "runs-on",
            "services",
            "timeout-minutes",
            "with.<with_id>",
        )
    },
    "jobs.<job_id>.defaults.run": Availability(_JOB_LEVEL | {"env"}),
    "jobs.<job_id>.container.credentials": Availability(_JOB_LEVEL | {"env", "secrets"}),
    "jobs.<job_id>.services.<service_id>.credentials": Availability(
        _JOB_LEVEL | {"env", "secrets"}
    ),
    "jobs.<job_id>.container.env.<env_id>": Availability(_STEP_LEVEL - {"steps"}),
    "jobs.<job_id>.services.<service_id>.env.<env_id>": Availability(_STEP_LEVEL - {"steps"}),
    "jobs.<job_id>.environment.url": Availability(_STEP_LEVEL - {"secrets"}),
    "jobs.<job_id>.outputs.<output_id>": Availability(_STEP_LEVEL),
    "jobs.<job_id>.steps.if": Availability(_STEP_LEVEL - {"secrets"}, SPECIAL_FUNCTIONS),
    **{
        f"jobs.<job_id>.steps.{key}": Availability(_STEP_LEVEL, frozenset({"hashfiles"}))
        for key in (*_STEP_KEYS, "working-directory")
    },
}

# The path segments that are ids, by the segments before them: `jobs.X` is a job id.
_IDS = {
    ("jobs",): "<job_id>",
    ("jobs", "<job_id>", "outputs"): "<output_id>",
    ("jobs", "<job_id>", "with"): "<with_id>",
    ("jobs", "<job_id>", "secrets"): "<secrets_id>",
    ("jobs", "<job_id>", "services"): "<service_id>",
    ("jobs", "<job_id>", "container", "env"): "<env_id>",
    ("jobs", "<job_id>", "services", "<service_id>", "env"): "<env_id>",
    ("on", "workflow_call", "inputs"): "<inputs_id>",
    ("on", "workflow_call", "outputs"): "<output_id>",
}
_KEYS = {tuple(key.split(".")): value for key, value in TABLE.items()}


def place_of(path: tuple[str | int, ...]) -> str | None:
    """The table key a value at `path` (keys and list indexes) falls under, if any."""
    generic: list[str] = []
    for segment in path:
        if isinstance(segment, int):
            continue  # a list index: `steps[2].with` is `steps.with`
        generic.append(_IDS.get(tuple(generic), segment))
    for end in range(len(generic), 0, -1):
        if tuple(generic[:end]) in _KEYS:
            return ".".join(generic[:end])
    return None


def unknown_name_message(name: str) -> str:
    import difflib  # only for a mistake: not on every start-up

    close = difflib.get_close_matches(name.lower(), sorted(CONTEXTS), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"Unrecognized named-value: '{name}'{hint}"


def unavailable_name_message(name: str, place: str) -> str:
    available = ", ".join(sorted(TABLE[place].contexts))
    return (
        f"Unrecognized named-value: '{name}': the {name.lower()} context is not available "
        f"in {place} (available there: {available})"
    )


def unavailable_function_message(spelled: str, place: str) -> str:
    return f"Unrecognized function: '{spelled}': it is not available in {place}"
