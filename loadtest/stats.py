"""One way to put a measurement into Locust's statistics (CSV, HTML report, web UI)."""

from __future__ import annotations

from locust.env import Environment


def report(
    environment: Environment,
    request_type: str,
    name: str,
    response_time_ms: float,
    length: int = 0,
    error: Exception | None = None,
) -> None:
    """Record one request-like event; ``error`` makes it a failure."""
    environment.events.request.fire(  # type: ignore[no-untyped-call]
        request_type=request_type,
        name=name,
        response_time=response_time_ms,
        response_length=length,
        exception=error,
        context={},
    )
