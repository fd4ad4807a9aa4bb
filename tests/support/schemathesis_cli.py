"""`python -m tests.support.schemathesis_cli run ...`: the schemathesis CLI (`st`), with one CPython 3.11 race closed.

With --workers > 1, schemathesis builds Hypothesis strategies in several threads, and Hypothesis describes each
filter's lambda by `ast.parse`-ing its source file. CPython 3.11 keeps the AST constructor's recursion counter in
state shared by every thread, so two parses at once now and then fail with "SystemError: AST constructor
recursion depth mismatch" (python/cpython gh-106905; the counter is per call from 3.13 on): the fuzz run then
reports a runtime error in the fuzzer, not a finding about the API. Parsing one file at a time closes it; the
parses are cached, so the lock costs nothing measurable."""
from __future__ import annotations

import ast
import sys
import threading

_parse, _lock = ast.parse, threading.Lock()


def _one_at_a_time(*args, **kwargs):
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _one_at_a_time

if __name__ == "__main__":
    from schemathesis.cli import schemathesis

    sys.argv[0] = "st"
    sys.exit(schemathesis())
