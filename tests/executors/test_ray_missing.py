"""The ray executor without Ray installed: the job fails saying what to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_without_ray_a_job_fails_naming_the_extra(tmp_path: Path) -> None:
    (tmp_path / "stax.toml").write_text('[executor]\nkind = "ray"\naddress = "127.0.0.1:1"\n')
    (tmp_path / "ci.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"
    )
    script = textwrap.dedent(
        """
        import sys
        sys.modules["ray"] = None  # as if the extra were not installed
        from runner.cli.main import main
        sys.exit(main(["run", "--local", "ci.yml"]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        # Cold: a warm process's fork would not share this interpreter's sys.modules.
        env={
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "STAX_WARM": "0",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert 'needs Ray: pip install "stax[ray]"' in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
