from __future__ import annotations

import subprocess
import sys


def test_model_never_imports_trio() -> None:
    code = (
        "import sys\n"
        "import runner.model\n"
        "runner.model.parse_workflow('on: push\\njobs: {a: {runs-on: x, steps: [run: x]}}', 'w')\n"
        "assert 'trio' not in sys.modules, 'runner.model imported trio'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
