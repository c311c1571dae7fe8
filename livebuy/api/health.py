"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError

from livebuy.api.deps import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str | int]:
    """The process is up (liveness); ``pid`` tells the workers of ``serve --workers`` apart."""
    return {"status": "ok", "pid": os.getpid()}


@router.get("/readyz")
async def readyz(services: ServicesDep, response: Response) -> dict[str, str]:
    """The process can serve: Redis answers and holds the content (readiness); 503 otherwise,
    and 503 ``draining`` from SIGTERM on (see ``livebuy/drain.py``).

    ``video`` reports the shared live stream (``encoding`` here, ``following`` another process's
    encoder, ``stale``, ``starting``; absent with the video off) but never fails readiness: every process serves the
    stream from Redis whoever encodes it, and a stalled demo video is no reason to drop viewers.
    """
    if services.drain.draining:
        # SIGTERM: a balancer must stop sending viewers here before they are closed.
        response.status_code = 503
        return {"status": "draining"}
    try:
        await services.redis.ping()
        content_loaded = await services.recovery.content_loaded()
    except RedisError:
        response.status_code = 503
        return {"status": "redis unavailable"}
    if not content_loaded:
        # Before the lifespan loaded it, or after Redis lost it and until a process reloads it.
        response.status_code = 503
        return {"status": "content not loaded"}
    video = services.video
    if video is None:
        return {"status": "ready"}
    return {"status": "ready", "video": await video.summary()}


@router.get("/metrics")
async def metrics() -> Response:
    """Prometheus text exposition of this process."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
