"""Fuzzing the merged OpenAPI document (every service, through the gateway) with schemathesis, as a client
would: anonymous and as each role, with the checks that say the API keeps its own promises —
not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
response_headers_conformance — over schemathesis' coverage, fuzzing and stateful phases (the stateful phase
follows the links schemathesis infers between operations: create a shop, then read, edit and list it, ...).
This is the one fuzz of the API in `make test` (it replaced a server-errors-only fuzz: these checks include it).

Two sizes of the same run:
- **CI** (`make test`): every identity runs the fuzzing phase (SCHEMATHESIS_MAX_EXAMPLES, default 3, examples per
  operation) and the stateful phase over every operation. The coverage phase — schemathesis' deterministic sweep of
  each parameter's boundaries, wrong types and missing parts, about 35 cases per operation whatever the example
  count, 85 % of a run — is the same list of requests whoever sends it (only the token differs), so in CI each
  operation's sweep is sent once, by one identity (operations dealt round-robin, in label order, to the six): six
  full sweeps would be six times the time for the same inputs. At least 5,000 cases in all (about 7,000), 3–5
  minutes on a loaded 2-core machine.
- **Release** (`make fuzz-release` or `make release-check`: the test marked `release`; or SCHEMATHESIS_RELEASE=1,
  which runs the test above at this size): every identity runs every phase over every operation, 50 examples per
  operation: at least 50,000 cases.
The figures (cases by identity, failures by check) are printed, and written to var/fuzz-report-<identity>.json.

Left out: the Stripe webhook (authenticated by Stripe's signature, which fuzzed bodies never carry). This stack
raises the rate limits (a fuzzer is one client sending thousands of requests, which is what they refuse), keeps
the live feed open 1 s instead of 55 (each feed request would otherwise hold a connection until the fuzzer's
timeout) and gives tokens four hours (a release run outlasts the default 15 minutes)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests

from pasar.auth import Identity, issue_access_token
from pasar.config import AuthSettings
from tests.support.stack import TEST_JWT_SECRET, Stack

RELEASE = os.environ.get("SCHEMATHESIS_RELEASE") == "1"
CI_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "3"))
RELEASE_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50"))
WORKERS = os.environ.get("SCHEMATHESIS_WORKERS", "4")
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "response_headers_conformance")
ROLES = ("anonymous", "shopper", "seller", "courier", "agent", "admin")
TOKEN_SECONDS = 4 * 3600
LOGOUT = "POST /api/v1/auth/logout"


@pytest.fixture(scope="module")
def fuzz_stack():
    unlimited = "1000000/minute"
    env = {"RATELIMIT_API": unlimited, "RATELIMIT_LOGIN": unlimited, "RATELIMIT_LOGIN_PER_IP": unlimited,
           "RATELIMIT_REGISTER": unlimited, "RATELIMIT_CODES_PER_IP": unlimited, "ACCESS_LOG": "",
           "NOTIFY_STREAM_SECONDS": "1", "ACCESS_TOKEN_TTL": str(TOKEN_SECONDS)}
    for attempt in range(3):  # on a machine shared by many runs the first health check may time out
        s = Stack(workers=2, extra_env=env)
        try:
            s.start()
            break
        except AssertionError:
            s.stop()
            if attempt == 2:
                raise
    yield s
    s.stop()


def identity_header(stack, role: str) -> list[str]:
    if role == "anonymous":
        return []
    if role == "shopper":  # a real account, so /auth/me and friends reach the database
        resp = requests.post(stack.url + "/api/v1/auth/register", timeout=15, json={
            "name": "Fuzz", "phone": "0857" + str(uuid.uuid4().int)[:8], "password": "fuzz-fuzz-fuzz"})
        resp.raise_for_status()
        token = resp.json()["access_token"]
    else:
        settings = AuthSettings(secret=TEST_JWT_SECRET, algorithm="HS256", issuer="pasar-desa",
                                audience="pasar-desa-api", access_ttl_seconds=TOKEN_SECONDS, refresh_ttl_seconds=3600)
        token = issue_access_token(Identity(user_id=f"fuzz-{role}-{uuid.uuid4().hex[:6]}", role=role,
                                            name=f"Fuzz {role}"), settings=settings)
    # logging out revokes the token it is sent with (as it should): the role runs leave it to the anonymous run,
    # or the rest of the run would fuzz as nobody
    return ["-H", f"Authorization: Bearer {token}", "--exclude-path", LOGOUT.split()[1]]


def operation_labels(stack) -> list[str]:
    document = requests.get(stack.url + "/api/v1/openapi.json", timeout=30).json()
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return sorted(f"{method.upper()} {path}" for path, item in document["paths"].items()
                  if not path.startswith("/api/v1/webhooks/") for method in item if method in methods)


def coverage_elsewhere_config(path: Path, labels: list[str]) -> Path:
    """A schemathesis.toml turning the coverage phase off for `labels` (another identity sends their sweep)."""
    names = ", ".join(json.dumps(label) for label in labels)
    path.write_text(f"[[operations]]\ninclude-name = [{names}]\nphases.coverage.enabled = false\n")
    return path


def fuzz(stack, role: str, max_examples: int, config: Path | None = None) -> dict:
    report = stack.var / f"fuzz-report-{role}.json"
    command = [sys.executable, "-m", "tests.support.schemathesis_cli",
               *(["--config-file", str(config)] if config else []),
               "run", stack.url + "/api/v1/openapi.json",
               "--exclude-path-regex", "^/api/v1/webhooks/", "--checks", CHECKS,
               "--phases", "coverage,fuzzing,stateful", "--max-examples", str(max_examples),
               "--workers", WORKERS, "--request-timeout", "20", "--suppress-health-check", "all",
               "--seed", "20", "--continue-on-failure", "--no-color",
               "--report", "json", "--report-json-path", str(report), *identity_header(stack, role)]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=4 * 3600, cwd=stack.var,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert report.exists(), done.stdout[-3000:] + done.stderr[-2000:]
    result = json.loads(report.read_text())
    result["output"], result["seconds"] = done.stdout, time.monotonic() - started
    return result


def run_and_judge(stack, plan: dict[str, tuple[int, Path | None]], min_cases: int) -> None:
    cases, failures, problems = {}, Counter(), []
    started = time.monotonic()
    for role, (max_examples, config) in plan.items():
        result = fuzz(stack, role, max_examples, config)
        cases[role] = result["test_cases"]["generated"]
        print(f"schemathesis {role}: {cases[role]} cases in {result['seconds']:.0f} s, "
              f"{len(result['failures'])} failures, {len(result['errors'])} errors")
        for failure in result["failures"]:
            failures[failure["code"]] += failure["count"]
            problems.append(f"{role}: {failure['code']} {failure['title']} x{failure['count']} "
                            f"in {', '.join(failure['operations'][:6])}")
        for error in result["errors"]:
            failures["runtime error"] += 1
        if result["failures"] or result["errors"]:
            output = result["output"]
            problems.append(f"--- {role} ---\n{output[output.find('ERRORS'):][:4000]}\n"
                            f"{output[output.find('FAILURES'):][:6000]}")
    load = open("/proc/loadavg").read().split()[:3]
    print(f"schemathesis cases by identity: {cases}, total {sum(cases.values())}; failures by check: "
          f"{dict(failures) or 'none'}; {time.monotonic() - started:.0f} s; load average {' '.join(load)}")
    assert not problems, "\n".join(problems)
    assert sum(cases.values()) >= min_cases, cases


@pytest.mark.timeout(4 * 3600 if RELEASE else 900)
def test_the_api_keeps_its_openapi_promises_for_anonymous_and_every_role(fuzz_stack):
    if RELEASE:  # SCHEMATHESIS_RELEASE=1: this file's run at release size, without PASAR_RELEASE_CHECKS
        return test_the_api_keeps_its_openapi_promises_at_release_scale(fuzz_stack)
    labels = operation_labels(fuzz_stack)
    assert len(labels) >= 100, labels
    # whose coverage sweep each operation gets: dealt round-robin; logout's goes to the anonymous run (the only one
    # that calls it)
    dealt = [label for label in labels if label != LOGOUT]
    sweeps = {role: dealt[n::len(ROLES)] + ([LOGOUT] if role == "anonymous" else []) for n, role in enumerate(ROLES)}
    plan = {role: (CI_EXAMPLES, coverage_elsewhere_config(
        fuzz_stack.var / f"coverage-elsewhere-{role}.toml",
        [label for label in labels if label not in sweeps[role]])) for role in ROLES}
    run_and_judge(fuzz_stack, plan, min_cases=5_000)


@pytest.mark.release
@pytest.mark.timeout(4 * 3600)
def test_the_api_keeps_its_openapi_promises_at_release_scale(fuzz_stack):
    run_and_judge(fuzz_stack, {role: (RELEASE_EXAMPLES, None) for role in ROLES}, min_cases=50_000)
