"""strategy.matrix at run time: order, names, dynamic matrices, fail-fast, max-parallel, filters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from runner.errors import RunError
from runner.events.types import EventType

if TYPE_CHECKING:
    from pathlib import Path

    from tests.engine.conftest import Runner, WatchingSink


async def test_matrix_instances_follow_include_and_exclude_order(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                os: [linux, bsd]
                py: ["3.11", "3.12"]
                exclude:
                  - {os: bsd, py: "3.11"}
                include:
                  - {os: linux, extra: yes}
                  - {os: plan9, py: "3.0"}
            steps:
              - run: echo "${{ matrix.os }}-${{ matrix.py }}-${{ matrix.extra }}"
    """)
    assert result.conclusion == "success"
    queued = [e.data["job"] for e in result.of_type(EventType.JOB_QUEUED)]
    assert [j["id"] for j in queued] == ["test.1", "test.2", "test.3", "test.4"]  # type: ignore[index]
    assert [j["name"] for j in queued] == [  # type: ignore[index]
        "test (linux, 3.11, yes)",
        "test (linux, 3.12, yes)",
        "test (bsd, 3.12)",
        "test (plan9, 3.0)",
    ]
    assert [result.output(f"test.{i}", 1)[0] for i in range(1, 5)] == [
        "linux-3.11-yes",
        "linux-3.12-yes",
        "bsd-3.12-",
        "plan9-3.0-",
    ]
    assert result.job("test.3").matrix == {"os": "bsd", "py": "3.12"}


async def test_matrix_context_strategy_and_custom_names(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          t:
            name: Test on ${{ matrix.v }}
            runs-on: ubuntu-latest
            strategy: {matrix: {v: [x, y]}, max-parallel: 1}
            steps:
              - run: >-
                  echo ${{ strategy.job-index }}/${{ strategy.job-total }}
                  ${{ strategy.fail-fast }} ${{ strategy.max-parallel }}
    """)
    assert [result.job(f"t.{i}").name for i in (1, 2)] == ["Test on x", "Test on y"]
    assert result.output("t.1", 1) == ["0/2 true 1"]
    assert result.output("t.2", 1) == ["1/2 true 1"]


async def test_a_dynamic_matrix_from_a_previous_jobs_output(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          plan:
            runs-on: ubuntu-latest
            outputs: {matrix: "${{ steps.p.outputs.matrix }}"}
            steps:
              - id: p
                run: echo 'matrix={"target":["a","b","c"],"include":[{"target":"c","fast":true}]}' >> "$GITHUB_OUTPUT"
          build:
            needs: plan
            runs-on: ubuntu-latest
            strategy:
              matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
            steps:
              - run: echo "${{ matrix.target }} fast=${{ matrix.fast }}"
    """)
    assert result.conclusion == "success"
    assert [result.output(f"build.{i}", 1)[0] for i in (1, 2, 3)] == [
        "a fast=",
        "b fast=",
        "c fast=true",
    ]


async def test_expressions_inside_a_matrix_are_evaluated_as_the_job_expands(
    run_yaml: Runner,
) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          prepare:
            runs-on: ubuntu-latest
            outputs:
              list: ${{ steps.s.outputs.list }}
              include: ${{ steps.s.outputs.include }}
              key: helix
            steps:
              - id: s
                run: |
                  echo 'list=["3.11","3.12"]' >> "$GITHUB_OUTPUT"
                  echo 'include=[{"python-version":"3.12","extra":"x"}]' >> "$GITHUB_OUTPUT"
          test:
            needs: prepare
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python-version: ${{ fromJson(needs.prepare.outputs.list) }}
                ${{ needs.prepare.outputs.key }}: [steady]
                include: ${{ fromJson(needs.prepare.outputs.include) }}
            steps:
              - run: echo "${{ matrix.python-version }} ${{ matrix.helix }} ${{ matrix.extra }}"
          tagged:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                os: [linux, bsd]
                include:
                  - os: linux
                    tag: ${{ github.event_name }}-build
                exclude: ${{ fromJSON('[{"os":"bsd"}]') }}
            steps:
              - run: echo "${{ matrix.os }} ${{ matrix.tag }}"
          merged:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                a:
                  - env:
                      key1: val1
                      ${{ insert }}: ${{ fromJSON('{"key2":"val2"}') }}
                  - ${{ fromJSON('[{"env":{"key1":"spliced"}}]') }}
            steps:
              - run: echo "${{ matrix.a.env.key1 }} ${{ matrix.a.env.key2 }}"
    """)
    assert result.conclusion == "success", result.job_conclusions()
    assert [result.output(f"test.{i}", 1)[0] for i in (1, 2)] == ["3.11 steady ", "3.12 steady x"]
    assert [key for key in result.record.jobs if key.startswith("tagged")] == ["tagged.1"]
    assert result.output("tagged.1", 1) == ["linux push-build"]
    assert [result.output(f"merged.{i}", 1)[0] for i in (1, 2)] == ["val1 val2", "spliced "]


async def test_a_dynamic_matrix_that_is_not_a_mapping_fails_the_job(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            strategy:
              matrix: ${{ fromJSON('[1, 2]') }}
            steps: [{run: echo never}]
    """)
    assert result.conclusion == "failure"
    assert "strategy.matrix" in (result.job("build").error or "")


def _sibling_workflow(fail_fast: str) -> str:
    # Instance 1 fails only once instance 2 is surely running; instance 3
    # is queued behind max-parallel 2 when that happens.
    return f"""
        on: push
        jobs:
          m:
            runs-on: ubuntu-latest
            strategy:
              fail-fast: {fail_fast}
              max-parallel: 2
              matrix: {{n: [1, 2, 3]}}
            steps:
              - run: |
                  if [ "${{{{ matrix.n }}}}" = 1 ]; then
                    while [ ! -f two.running ]; do sleep 0.01; done
                    exit 1
                  fi
                  if [ "${{{{ matrix.n }}}}" = 2 ]; then
                    touch two.running
                    [ "{fail_fast}" = false ] && exit 0
                    sleep 30
                  fi
                  echo "n=${{{{ matrix.n }}}}"
              - if: always()
                run: echo "cleanup ${{{{ job.status }}}}"
    """


async def test_fail_fast_cancels_running_and_queued_siblings(run_yaml: Runner) -> None:
    result = await run_yaml(_sibling_workflow("true"), limit_s=20)
    assert result.conclusion == "failure"
    assert result.job_conclusions() == {"m.1": "failure", "m.2": "cancelled", "m.3": "cancelled"}
    assert result.step_conclusions("m.2") == ["cancelled", "success"]
    assert result.output("m.2", 2) == ["cleanup cancelled"]
    # The queued one never started.
    assert not [e for e in result.of_type(EventType.JOB_STARTED) if e.job_id == "m.3"]
    assert "fail-fast" in (result.job("m.3").error or "")


async def test_without_fail_fast_siblings_finish(run_yaml: Runner) -> None:
    result = await run_yaml(_sibling_workflow("false"), limit_s=20)
    assert result.conclusion == "failure"
    assert result.job_conclusions() == {"m.1": "failure", "m.2": "success", "m.3": "success"}
    assert result.output("m.3", 1) == ["n=3"]


async def test_max_parallel_one_runs_instances_one_after_another(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          m:
            runs-on: ubuntu-latest
            strategy: {max-parallel: 1, matrix: {n: [1, 2, 3]}}
            steps:
              - run: echo ${{ matrix.n }}
    """)
    order = [
        (e.type, e.job_id) for e in result.of_type(EventType.JOB_STARTED, EventType.JOB_COMPLETED)
    ]
    assert order == [
        (EventType.JOB_STARTED, "m.1"),
        (EventType.JOB_COMPLETED, "m.1"),
        (EventType.JOB_STARTED, "m.2"),
        (EventType.JOB_COMPLETED, "m.2"),
        (EventType.JOB_STARTED, "m.3"),
        (EventType.JOB_COMPLETED, "m.3"),
    ]


async def test_matrix_outputs_of_the_last_finisher_reach_needs(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          m:
            runs-on: ubuntu-latest
            strategy: {max-parallel: 1, matrix: {n: [1, 2]}}
            outputs: {last: "${{ steps.s.outputs.n }}"}
            steps:
              - id: s
                run: echo "n=${{ matrix.n }}" >> "$GITHUB_OUTPUT"
          after:
            needs: m
            runs-on: ubuntu-latest
            steps: [{run: 'echo "${{ needs.m.result }} ${{ needs.m.outputs.last }}"'}]
    """)
    assert result.output("after", 1) == ["success 2"]


async def test_matrix_filter_runs_only_matching_combinations_keeping_their_index(
    run_yaml: Runner,
) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          m:
            runs-on: ubuntu-latest
            strategy: {matrix: {py: ["3.11", "3.12"], os: [a, b]}}
            steps:
              - run: echo ${{ matrix.py }} ${{ matrix.os }} ${{ strategy.job-index }}/${{ strategy.job-total }}
          plain:
            runs-on: ubuntu-latest
            steps: [{run: echo plain}]
    """,
        matrix_filters={"py": ("3.12",)},
    )
    assert result.conclusion == "success"
    matrix_jobs = sorted(k for k in result.record.jobs if k.startswith("m."))
    assert matrix_jobs == ["m.3", "m.4"]  # the instances' places in the full matrix
    assert [result.output(k, 1)[0] for k in matrix_jobs] == ["3.12 a 2/4", "3.12 b 3/4"]
    assert result.job("plain").conclusion == "success"


async def test_a_repeated_matrix_filter_means_any_of_its_values(run_yaml: Runner) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          m:
            runs-on: ubuntu-latest
            strategy: {matrix: {py: ["3.10", "3.11", "3.12"]}}
            steps: [{run: "echo ${{ matrix.py }}"}]
    """,
        matrix_filters={"py": ("3.10", "3.12")},
    )
    assert sorted(result.record.jobs) == ["m.1", "m.3"]


async def test_a_matrix_filter_by_a_dotted_path(run_yaml: Runner) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          m:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                os: [{name: ubuntu, v: 1}, {name: macos, v: 2}]
            steps: [{run: "echo ${{ matrix.os.v }}"}]
    """,
        matrix_filters={"os.name": ("macos",)},
    )
    assert sorted(result.record.jobs) == ["m.2"]
    assert result.output("m.2", 1) == ["2"]


async def test_a_matrix_filter_matching_nothing_is_refused_before_the_run(
    run_yaml: Runner,
) -> None:
    text = """
        on: push
        jobs:
          m:
            runs-on: ubuntu-latest
            strategy: {matrix: {py: ["3.11", "3.12"]}}
            steps: [{run: echo never}]
    """
    with pytest.raises(
        RunError, match=r'py:2.7 matches no combination of job "m" \(its values: py: 3.11, 3.12\)'
    ):
        await run_yaml(text, matrix_filters={"py": ("2.7",)})
    with pytest.raises(
        RunError, match=r"--matrix pyth: no job's matrix has this key \(matrix keys: py\)"
    ):
        await run_yaml(text, matrix_filters={"pyth": ("3.11",)})


async def test_a_matrix_filter_matching_nothing_of_a_dynamic_matrix_fails_the_job(
    run_yaml: Runner,
) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          m:
            runs-on: ubuntu-latest
            strategy: {matrix: {py: "${{ fromJSON('[\\"3.11\\"]') }}"}}
            steps: [{run: echo never}]
    """,
        matrix_filters={"py": ("2.7",)},
    )
    assert result.job("m").conclusion == "failure"
    assert "matches no combination" in (result.job("m").error or "")
    assert "py: 3.11" in (result.job("m").error or "")


async def test_job_selection_runs_the_job_and_what_it_needs(run_yaml: Runner) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          base: {runs-on: ubuntu-latest, steps: [{run: echo base}]}
          mid: {runs-on: ubuntu-latest, needs: base, steps: [{run: echo mid}]}
          top: {runs-on: ubuntu-latest, needs: mid, steps: [{run: echo top}]}
          other: {runs-on: ubuntu-latest, steps: [{run: echo other}]}
    """,
        jobs=("mid",),
    )
    assert result.conclusion == "success"
    assert sorted(result.record.jobs) == ["base", "mid"]
    assert [g["id"] for g in result.record.graph] == ["base", "mid"]


async def test_selecting_an_unknown_job_is_refused_before_the_run(
    run_yaml: Runner, workspace: Path
) -> None:
    import pytest

    from runner.errors import RunError

    with pytest.raises(RunError, match="unknown job 'nope'"):
        await run_yaml(
            """
            on: push
            jobs:
              a: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
        """,
            jobs=("nope",),
        )


async def test_fail_fast_does_not_reach_other_jobs(run_yaml: Runner) -> None:
    async def control(run: object, sink: WatchingSink) -> None:
        return None

    result = await run_yaml(
        """
        on: push
        jobs:
          m:
            runs-on: ubuntu-latest
            strategy: {matrix: {n: [1]}}
            steps: [{run: exit 1}]
          other:
            runs-on: ubuntu-latest
            steps: [{run: echo still}]
    """,
        control=control,
    )
    assert result.job_conclusions() == {"m.1": "failure", "other": "success"}
