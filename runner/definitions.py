"""Workflow and skill files as the daemon reads them: off its event loop, once per version
of a file, and within a time limit.

Parsing is CPU work (a 700 KB workflow of 10,000 jobs takes over a second) and the
daemon's event loop serves every client, so a parse runs in a worker thread, one at a
time (the loop still gets the interpreter every few milliseconds). Each file is parsed
once per version, its (path, mtime, size, inode): the verdict, valid or not, is kept
(up to `CACHE_BYTES` of source), so an unchanged file costs a stat.

Bounds: a file over MAX_DEFINITION_BYTES is refused unread (runner.model). A request
waits for parses at most `parse_timeout_seconds` in all; a file not parsed by then gets
a ParseTimeout error ("took longer than ..."). Its parse goes on in its thread (the size
and alias bounds keep it finite, and a version is never parsed twice) and, once done,
its verdict replaces the timeout for the next request.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio

from runner.errors import SourcePos, WorkflowError, WorkflowErrors
from runner.model import Workflow, load_workflow
from runner.skills import SkillCatalogs

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from runner.skills import SkillCatalog

CACHE_BYTES = 4 << 20  # of source files whose verdicts are kept (a parsed file is ~25x)

_Stamp = tuple[int, int, int, int]


class ParseTimeout(WorkflowErrors):
    """A definition was not parsed within the time a request may wait for it."""

    def __init__(self, path: str, timeout_s: float) -> None:
        message = (
            f"took longer than {timeout_s:g} s to parse (parse_timeout_seconds); it is "
            "shown as it is once its parse ends"
        )
        super().__init__([WorkflowError(message, pos=SourcePos(path=path, line=1, col=1))])


@dataclass(frozen=True, slots=True, kw_only=True)
class DefinitionStatistics:
    parses: int  # files parsed (each version once)
    parsing: int  # parses running now
    cached: int  # verdicts kept


class _Verdicts:
    """What each version of a file parsed to, shared by the loop and the parse threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kept: OrderedDict[tuple[str, Path], tuple[_Stamp, Workflow | WorkflowErrors]] = (
            OrderedDict()
        )
        self.bytes = 0
        self.parses = 0
        self.parsing = 0

    def get(self, key: tuple[str, Path], stamp: _Stamp | None) -> Workflow | WorkflowErrors | None:
        with self.lock:
            hit = self.kept.get(key)
            if hit is None or hit[0] != stamp:
                return None
            self.kept.move_to_end(key)
            return hit[1]

    def put(self, key: tuple[str, Path], stamp: _Stamp, verdict: Workflow | WorkflowErrors) -> None:
        with self.lock:
            old = self.kept.pop(key, None)
            if old is not None:
                self.bytes -= old[0][1]
            self.kept[key] = (stamp, verdict)
            self.bytes += stamp[1]
            while self.bytes > CACHE_BYTES and len(self.kept) > 1:
                _, (evicted, _) = self.kept.popitem(last=False)
                self.bytes -= evicted[1]


class Definitions:
    """The workflow and skill files one daemon has parsed (Services.definitions): every
    verdict kept, and the one parse at a time they come from."""

    def __init__(self) -> None:
        self._verdicts = _Verdicts()
        # One parse at a time: they share the interpreter anyway, and a file waiting for
        # a big one is only as late as it.
        self._parser = trio.CapacityLimiter(1)
        self.skill_catalogs = SkillCatalogs()  # kept while no skill file changes

    def statistics(self) -> DefinitionStatistics:
        verdicts = self._verdicts
        with verdicts.lock:
            return DefinitionStatistics(
                parses=verdicts.parses, parsing=verdicts.parsing, cached=len(verdicts.kept)
            )

    async def load_workflows(
        self, paths: Sequence[Path], *, timeout_s: float
    ) -> dict[Path, Workflow | WorkflowErrors]:
        """Each workflow file parsed, or why not (WorkflowErrors, ParseTimeout for the
        files not parsed within `timeout_s` of the call)."""
        deadline = trio.current_time() + timeout_s
        out: dict[Path, Workflow | WorkflowErrors] = {}
        for path in paths:
            out[path] = await self._verdict(path, deadline, timeout_s)
        return out

    async def load_workflow_file(self, path: Path, *, timeout_s: float) -> Workflow:
        """The workflow at `path`. Raises WorkflowErrors (ParseTimeout past `timeout_s`)."""
        verdict = await self._verdict(path, trio.current_time() + timeout_s, timeout_s)
        if isinstance(verdict, WorkflowErrors):
            raise WorkflowErrors(verdict.errors)  # a fresh one: the kept one has no traceback
        return verdict

    async def load_skill_catalog(self, dirs: Sequence[Path], *, timeout_s: float) -> SkillCatalog:
        """The skill catalog of `dirs`, built in a worker thread. Raises ParseTimeout past
        `timeout_s`."""
        with trio.move_on_after(timeout_s):
            return await trio.to_thread.run_sync(
                self.skill_catalogs.load, dirs, limiter=self._parser, abandon_on_cancel=True
            )
        raise ParseTimeout(", ".join(str(d) for d in dirs), timeout_s)

    async def _verdict(
        self, path: Path, deadline: float, timeout_s: float
    ) -> Workflow | WorkflowErrors:
        key = ("workflow", path)
        cached = self._verdicts.get(key, _stamp(path))
        if cached is not None:
            return cached
        with trio.move_on_at(deadline):
            return await trio.to_thread.run_sync(
                self._parse_once, key, load_workflow, limiter=self._parser, abandon_on_cancel=True
            )
        return ParseTimeout(str(path), timeout_s)

    def _parse_once(
        self, key: tuple[str, Path], parse: Callable[[Path], Workflow]
    ) -> Workflow | WorkflowErrors:
        """In a worker thread: the verdict on the file's current version, parsed unless
        another request's parse of it has just ended."""
        verdicts = self._verdicts
        path = key[1]
        stamp = _stamp(path)
        cached = verdicts.get(key, stamp)
        if cached is not None:
            return cached
        with verdicts.lock:
            verdicts.parsing += 1
        try:
            verdict: Workflow | WorkflowErrors = parse(path)
        except WorkflowErrors as exc:
            verdict = WorkflowErrors(exc.errors)  # without the traceback (and the parse's frames)
        finally:
            with verdicts.lock:
                verdicts.parsing -= 1
                verdicts.parses += 1
        if stamp is not None:
            verdicts.put(key, stamp, verdict)
        return verdict


def _stamp(path: Path) -> _Stamp | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino, info.st_dev)
