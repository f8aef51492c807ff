"""What masking costs on a log that looks like one, with secrets and their encoded forms.

    python bench/masking.py [--lines 200000] [--reps 5]

Masks `--lines` lines of 80 characters of build-log-like text (words, paths, versions),
in chunks of 100 lines as a step's reads bring them (Masker.mask_lines), and prints
lines per second for:

* no secret;
* one secret, its value only, searched by Python's regex: what masking was before
  secrets brought their encoded forms (base64 at three offsets, JSON, URI ...);
* one and ten secrets with their forms, searched by Python's regex alone, then with
  RE2 (google-re2) telling first whether a chunk holds anything to hide (as shipped);
* ten secrets with their forms, one line in a hundred holding one of them;
* a one-character secret (it is in most lines: every chunk is rewritten).

(bench/steps.py's 1M-line row captures lines of `x`, which no form starts with: it
does not see this cost.)
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from runner.engine.masking import MASK, Masker  # noqa: E402

WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "for",
    "on",
    "that",
    "by",
    "this",
    "with",
    "from",
    "at",
    "as",
    "build",
    "test",
    "run",
    "step",
    "job",
    "error",
    "warning",
    "compile",
    "link",
    "install",
    "npm",
    "pip",
    "package",
    "version",
    "1.2.3",
    "/usr/lib/python3",
    "src/main.c",
    "0x7ffd",
    "http://localhost:8080/api",
    "ok",
    "done",
    "failed",
    "passed",
    "Collecting",
    "wheel",
    "Downloading",
    "Requirement",
    "already",
    "satisfied:",
    "PASSED",
    "tests/test_api.py::test_x",
    "[",
    "42%]",
]


def log_lines(count: int, rng: random.Random) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(14))[:80] for _ in range(count)]


def chunks(lines: list[str]) -> list[list[str]]:
    return [lines[i : i + 100] for i in range(0, len(lines), 100)]


class ValueOnly:
    """Masking as it was: the values alone, one Python regex."""

    def __init__(self, values: list[str]) -> None:
        ordered = sorted(values, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def mask_lines(self, lines: list[str]) -> list[str]:
        joined = "\n".join(lines)
        if self.pattern.search(joined) is None:
            return lines
        return self.pattern.sub(MASK, joined).split("\n")


def python_regex_only(masker: Masker) -> Masker:
    """The shipped Masker without its RE2 search (as where google-re2 is missing)."""
    masker.mask("compile now")
    masker._re2, masker._re2_replaces = None, False
    return masker


def rate(masker: object, data: list[list[str]], reps: int) -> float:
    mask_lines = masker.mask_lines  # type: ignore[attr-defined]
    total = sum(len(chunk) for chunk in data)
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        for chunk in data:
            mask_lines(chunk)
        times.append(time.perf_counter() - started)
    return total / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(2026)
    one = ["hunter2-Secret/Value"]
    ten = [f"s3cr3t{i}-{rng.randrange(10**8, 10**9)}&pw" for i in range(10)]
    plain = chunks(log_lines(args.lines, rng))
    salted_lines = log_lines(args.lines, rng)
    for i in range(0, len(salted_lines), 100):
        salted_lines[i] = salted_lines[i][:40] + ten[i % 10]
    salted = chunks(salted_lines)

    rows = [
        ("no secret", Masker([]), plain),
        ("1 secret, value only, Python regex (before)", ValueOnly(one), plain),
        ("1 secret + forms, Python regex only", python_regex_only(Masker(one)), plain),
        ("1 secret + forms, RE2 search (shipped)", Masker(one), plain),
        ("10 secrets, values only, Python regex (before)", ValueOnly(ten), plain),
        ("10 secrets + forms, Python regex only", python_regex_only(Masker(ten)), plain),
        ("10 secrets + forms, RE2 search (shipped)", Masker(ten), plain),
        ("10 secrets + forms, one line in 100 holds one", Masker(ten), salted),
        ("a one-character secret `u` (most lines hold it)", Masker(["u"]), plain),
    ]
    width = max(len(name) for name, _, _ in rows)
    print(f"{'masking 80-character log lines, chunks of 100':<{width}}  {'lines/s':>12}")
    print("-" * (width + 14))
    for name, masker, data in rows:
        print(f"{name:<{width}}  {rate(masker, data, args.reps):>12,.0f}")
    print(f"\n(median of {args.reps}; {os.cpu_count()} CPUs; python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
