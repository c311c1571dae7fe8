"""Schemathesis against a real server: every operation, every check, a fixed seed, bounded time.

Positive cases (schema-valid) must be accepted or refused only for a documented state (401, 404,
409, ...); negative cases (schema-invalid) must be refused with 4xx; no case may answer 5xx, an
undocumented status, header or media type, or a body that breaks the documented schema.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi import checks as openapi_checks

from tests.servers import PRODUCER_TOKEN, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]
# Examples per operation and mode: the whole run stays under a minute on a 2-core machine.
MAX_EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.positive_data_acceptance,
    openapi_checks.negative_data_rejection,
    openapi_checks.missing_required_header,
    openapi_checks.unsupported_method,
    openapi_checks.ignored_auth,
]
# The session service takes any printable Unicode name (no control or format characters), which
# no portable regex states; the schema shows a safe subset, so a name outside it is not refused.
ACCEPTS_MORE_THAN_SCHEMA = {"POST /api/sessions", "POST /api/staff-sessions"}


def _relate_fields(label: str, case: schemathesis.Case[Any]) -> None:
    """Cross-field rules JSON Schema cannot state (documented in the operation's description)."""
    body = case.body
    if label == "PUT /api/coupons/{code}" and isinstance(body, dict):
        body["code"] = case.path_parameters["code"] if case.path_parameters else body.get("code")
        ends_at, starts_at = body.get("ends_at"), body.get("starts_at", 0)
        if isinstance(ends_at, int | float) and isinstance(starts_at, int | float):
            hypothesis.assume(ends_at > starts_at)


def _operation_test(
    operation: Any, mode: GenerationMode, base_url: str, headers: dict[str, str]
) -> Callable[[], None]:
    """A hypothesis test of one operation in one generation mode."""
    checks = CHECKS
    if operation.label in ACCEPTS_MORE_THAN_SCHEMA:
        checks = [c for c in CHECKS if c is not openapi_checks.negative_data_rejection]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case[Any]) -> None:
        if mode is GenerationMode.POSITIVE:
            _relate_fields(operation.label, case)
        response = case.call(base_url=base_url, headers=headers)
        case.validate_response(response, checks=checks, headers=headers)

    return run


def _fuzz(base_url: str, tokens: dict[str, str]) -> list[str]:
    """Run every operation in both modes; return one line per failing operation and mode."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        # An operation the schema itself cannot describe fails the test with its reason.
        assert isinstance(result, Ok), result
        operation = result.ok()
        definition = schema.raw_schema["paths"][operation.path][operation.method.lower()]
        scheme = next(iter(definition.get("security", [{}])[0]), None)
        headers = {"Authorization": f"Bearer {tokens[scheme]}"} if scheme else {}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _operation_test(operation, mode, base_url, headers)()
            except hypothesis.errors.Unsatisfiable:
                pass  # nothing to generate in this mode (e.g. no parameter to break)
            except BaseException as failure:  # schemathesis raises a BaseExceptionGroup
                if isinstance(failure, KeyboardInterrupt | SystemExit):
                    raise
                failures.append(f"{operation.label} [{mode.value}]: {str(failure)[:1500]}")
    return failures


async def test_openapi_holds_against_a_real_server(make_server: MakeServer) -> None:
    """Schemathesis finds no 5xx and no schema violation with viewer and producer tokens."""
    server = await make_server()
    async with server.http() as client:
        viewer = (await client.post("/api/sessions")).json()["token"]
    tokens: dict[str, Any] = {"sessionToken": viewer, "producerToken": PRODUCER_TOKEN}
    started = time.monotonic()
    # Blocking HTTP (requests) in a thread: the in-process server keeps this event loop.
    failures = await asyncio.to_thread(_fuzz, server.base_url, tokens)
    print(f"schemathesis: {time.monotonic() - started:.1f} s")
    assert not failures, "\n\n".join(failures)
