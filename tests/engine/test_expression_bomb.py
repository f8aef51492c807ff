"""An expression that would build too much fails its step (or its job) with a clear
error; it once grew toward 2**40 characters and killed the daemon."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.expressions.test_limits import nested_format

if TYPE_CHECKING:
    from tests.engine.conftest import Runner

BOMB = nested_format(24)  # 16 MiB (the 2**40 one is in tests/chaos/test_hostile_steps.py)


async def test_a_bomb_fails_its_step_or_its_job(run_yaml: Runner) -> None:
    result = await run_yaml(f"""
        on: push
        jobs:
          step:
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{{{ {BOMB} }}}}"
              - if: always()
                run: echo after
          job:
            name: ${{{{ {BOMB} }}}}
            runs-on: ubuntu-latest
            steps:
              - run: echo never
    """)
    assert result.conclusion == "failure"
    steps = result.job("step").steps
    assert [str(s.conclusion) for s in steps] == ["failure", "success"]
    message = "format: the result would be longer than 1,048,576 characters"
    assert steps[0].error is not None
    assert steps[0].error.startswith(message)
    assert f"##[error]{message}" in "\n".join(result.logs("step", 1))
    assert result.job_conclusions()["job"] == "failure"
    assert str(result.job("job").error).startswith(message)


async def test_numbers_that_are_not_finite_are_no_limits(run_yaml: Runner) -> None:
    """`fromJSON('1e400')` is Infinity: as max-parallel (int() of it raised) or a
    timeout it is no limit; `'NaN'` is no step timeout (trio refused it): a clear error,
    not an internal one."""
    result = await run_yaml("""
        on: push
        jobs:
          wide:
            timeout-minutes: ${{ fromJSON('1e400') }}
            strategy:
              max-parallel: ${{ fromJSON('1e400') }}
              matrix:
                n: [1, 2]
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{ matrix.n }}"
                timeout-minutes: ${{ fromJSON('1e400') }}
          step-nan:
            runs-on: ubuntu-latest
            steps:
              - run: echo never
                timeout-minutes: ${{ 'NaN' }}
    """)
    conclusions = result.job_conclusions()
    assert conclusions["wide.1"] == conclusions["wide.2"] == "success"
    assert conclusions["step-nan"] == "failure"
    step_error = str(result.job("step-nan").steps[0].error)
    assert step_error.startswith("timeout-minutes must be a positive number")
