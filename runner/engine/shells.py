"""How a `run:` script becomes a command line, exactly as the GitHub runner does it.

| shell        | command line                                  | script file |
| ------------ | --------------------------------------------- | ----------- |
| (none)       | bash -e {0}   (sh -e {0} when bash is absent) | .sh         |
| bash         | bash --noprofile --norc -e -o pipefail {0}    | .sh         |
| sh           | sh -e {0}                                     | .sh         |
| python       | python {0}    (python3 when python is absent) | .py         |
| pwsh         | pwsh -command ". '{0}'"                       | .ps1        |
| powershell   | powershell -command ". '{0}'"                 | .ps1        |
| custom       | the template; {0} is the script path          | (none)      |

A custom template without {0} gets the script path appended.
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass
from functools import lru_cache

from runner.errors import RunError

_TEMPLATES = {
    "bash": ("bash --noprofile --norc -e -o pipefail {0}", ".sh"),
    "sh": ("sh -e {0}", ".sh"),
    "python": ("python {0}", ".py"),
    "pwsh": ("pwsh -command \". '{0}'\"", ".ps1"),
    "powershell": ("powershell -command \". '{0}'\"", ".ps1"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ShellCommand:
    template: str  # with {0}
    extension: str

    def argv(self, script_path: str, search_path: str | None) -> list[str]:
        argv = [part.replace("{0}", script_path) for part in _split(self.template)]
        program = _which(argv[0], search_path)
        if program is None:
            raise RunError(f"shell program not found on PATH: {argv[0]!r}")
        argv[0] = program
        return argv


def resolve_shell(shell: str | None, search_path: str | None) -> ShellCommand:
    """The command line for `shell` (None: the default of a Linux runner)."""
    if shell is None or not shell.strip():
        if _which("bash", search_path):
            return ShellCommand(template="bash -e {0}", extension=".sh")
        return ShellCommand(template="sh -e {0}", extension=".sh")
    name = shell.strip()
    if name in _TEMPLATES:
        template, extension = _TEMPLATES[name]
        if name == "python" and not _which("python", search_path):
            template = "python3 {0}"
        return ShellCommand(template=template, extension=extension)
    if name == "cmd":
        raise RunError("shell 'cmd' needs Windows; this runner is Linux")
    try:
        parts = shlex.split(name)
    except ValueError as exc:
        raise RunError(f"shell {name!r}: {exc}") from None
    if not parts:
        raise RunError("shell is empty")
    template = name if "{0}" in name else f"{name} {{0}}"
    return ShellCommand(template=template, extension="")


@lru_cache(maxsize=64)
def _split(template: str) -> tuple[str, ...]:
    return tuple(shlex.split(template))


@lru_cache(maxsize=64)
def _which(program: str, search_path: str | None) -> str | None:
    # A PATH lookup stats every directory; steps reuse the same few shells.
    return shutil.which(program, path=search_path)
