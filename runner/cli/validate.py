"""`stax validate`: report every problem in every given workflow, then exit 2 if any."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from runner.cli.exit_codes import EXIT_OK, EXIT_USAGE
from runner.config import load_settings
from runner.errors import StaxError, WorkflowErrors
from runner.model import load_workflow
from runner.workflow_files import find_workflow

if TYPE_CHECKING:
    import argparse


def validate_command(args: argparse.Namespace) -> int:
    settings = load_settings(Path(args.config) if args.config else None)
    failed = False
    for name in args.workflows:
        try:
            workflow = load_workflow(find_workflow(name, settings))
        except WorkflowErrors as exc:
            failed = True
            for error in exc.errors:
                sys.stderr.write(f"{error}\n")
            continue
        except StaxError as exc:
            failed = True
            sys.stderr.write(f"{exc}\n")
            continue
        jobs = len(workflow.jobs)
        sys.stdout.write(f"{workflow.path}: valid ({jobs} job{'s' if jobs != 1 else ''})\n")
    return EXIT_USAGE if failed else EXIT_OK
