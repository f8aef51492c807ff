"""Problem matchers (`::add-matcher::`): tool messages in the output become annotations
for the rest of the job, as the GitHub runner applies them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.engine.conftest import write

if TYPE_CHECKING:
    from pathlib import Path

    from tests.engine.conftest import Runner

TSC = {
    "problemMatcher": [
        {
            "owner": "tsc",
            "pattern": [
                {
                    "regexp": r"^(.+)\((\d+),(\d+)\): (error|warning) (TS\d+): (.*)$",
                    "file": 1,
                    "line": 2,
                    "column": 3,
                    "severity": 4,
                    "code": 5,
                    "message": 6,
                }
            ],
        }
    ]
}
STYLISH = {
    "problemMatcher": [
        {
            "owner": "eslint-stylish",
            "pattern": [
                {"regexp": r"^([^\s].*)$", "file": 1},
                {
                    "regexp": r"^\s+(\d+):(\d+)\s+(error|warning|info)\s+(.*)\s\s+(.*)$",
                    "line": 1,
                    "column": 2,
                    "severity": 3,
                    "message": 4,
                    "code": 5,
                    "loop": True,
                },
            ],
        }
    ]
}


async def test_a_matcher_annotates_the_rest_of_the_job_until_removed(
    run_steps: Runner, workspace: Path
) -> None:
    write(workspace, "tsc.json", json.dumps(TSC))
    result = await run_steps("""
        - run: |
            echo "src/a.ts(1,1): error TS0: before the matcher"
            echo "::add-matcher::tsc.json"
            echo "src/a.ts(3,7): error TS2304: Cannot find name 'x'."
        - run: |
            echo "src/b.ts(9,2): warning TS6133: 'y' is declared but never read."
        - run: |
            echo "::remove-matcher owner=tsc::"
            echo "src/c.ts(1,1): error TS1: after it went"
    """)
    assert result.conclusion == "success", result.logs("j")
    assert result.output("j", 1) == [
        "src/a.ts(1,1): error TS0: before the matcher",
        "src/a.ts(3,7): error TS2304: Cannot find name 'x'.",
    ]
    assert result.annotations() == [
        {
            "level": "error",
            "message": "Cannot find name 'x'.",
            "file": "src/a.ts",
            "line": 3,
            "col": 7,
            "title": "TS2304",
        },
        {
            "level": "warning",
            "message": "'y' is declared but never read.",
            "file": "src/b.ts",
            "line": 9,
            "col": 2,
            "title": "TS6133",
        },
    ]


async def test_a_looping_pattern_reports_each_line_with_what_came_before(
    run_steps: Runner, workspace: Path
) -> None:
    write(workspace, "stylish.json", json.dumps(STYLISH))
    result = await run_steps(f"""
        - run: |
            echo "::add-matcher::{workspace}/stylish.json"
            printf '%s\\n' src/x.js '  1:2  error  Missing semicolon  semi' \\
              '  4:1  warning  Unused y  no-unused-vars' '' '  7:7  error  Not after a gap  x'
    """)
    assert result.conclusion == "success", result.logs("j")
    assert [(a["level"], a["message"], a["file"], a["line"]) for a in result.annotations()] == [
        ("error", "Missing semicolon", "src/x.js", 1),
        ("warning", "Unused y", "src/x.js", 4),
    ]


async def test_a_matcher_file_that_is_not_one_is_a_warning(
    run_steps: Runner, workspace: Path
) -> None:
    write(workspace, "bad.json", '{"problemMatcher": [{"owner": "x", "pattern": []}]}')
    result = await run_steps("""
        - run: |
            echo "::add-matcher::missing.json"
            echo "##[add-matcher]bad.json"
    """)
    assert result.conclusion == "success"
    warnings = [a["message"] for a in result.annotations()]
    assert len(warnings) == 2
    assert warnings[0].startswith("cannot read the problem matcher file missing.json")
    assert warnings[1] == "bad.json: matcher x has no pattern"
