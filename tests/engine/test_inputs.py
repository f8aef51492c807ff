"""The `inputs` context and a dispatch's payload, as GitHub gives them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from runner.errors import RunError

if TYPE_CHECKING:
    from tests.engine.conftest import Runner

_PUSH_OR_DISPATCH = """
    on:
      push:
      workflow_dispatch:
        inputs:
          target: {default: staging}
          dry_run: {type: boolean, default: false}
    jobs:
      j:
        runs-on: ubuntu-latest
        steps:
          - run: |
              echo "target=${{ inputs.target || 'fallback' }} dry_run=${{ inputs.dry_run }}"
              echo "dry=${{ github.event.inputs.dry_run == 'true' }} ${{ github.event.inputs.dry_run }}"
          - shell: python
            run: |
              import json, os
              print(json.dumps(json.load(open(os.environ["GITHUB_EVENT_PATH"])).get("inputs")))
"""


async def test_inputs_are_empty_on_a_push(run_yaml: Runner) -> None:
    result = await run_yaml(_PUSH_OR_DISPATCH, event_name="push")
    assert result.conclusion == "success"
    assert result.output("j", 1)[0] == "target=fallback dry_run="
    assert result.record.inputs == {}


async def test_inputs_on_a_push_are_refused_before_the_run(run_yaml: Runner) -> None:
    with pytest.raises(RunError, match="workflow_dispatch and workflow_call runs only"):
        await run_yaml(_PUSH_OR_DISPATCH, event_name="push", inputs={"target": "prod"})


async def test_inputs_without_an_event_make_a_dispatch(run_yaml: Runner) -> None:
    result = await run_yaml(_PUSH_OR_DISPATCH, inputs={"target": "prod"})
    assert result.record.event == "workflow_dispatch"
    assert result.output("j", 1)[0].startswith("target=prod ")


async def test_dispatch_payload_inputs_are_strings(run_yaml: Runner) -> None:
    result = await run_yaml(
        _PUSH_OR_DISPATCH, event_name="workflow_dispatch", inputs={"dry_run": "true"}
    )
    assert result.output("j", 1)[1] == "dry=true true"
    assert json.loads(result.output("j", 2)[0]) == {
        "target": "staging",
        "dry_run": "true",
    }
    assert result.record.inputs == {"target": "staging", "dry_run": True}


async def test_an_event_payloads_inputs_are_the_dispatch_inputs(run_yaml: Runner) -> None:
    result = await run_yaml(
        _PUSH_OR_DISPATCH,
        event_name="workflow_dispatch",
        event_payload={"inputs": {"target": "prod", "dry_run": "true"}},
    )
    assert result.conclusion == "success"
    assert result.record.inputs == {"target": "prod", "dry_run": True}
    assert result.output("j", 1) == ["target=prod dry_run=true", "dry=true true"]
