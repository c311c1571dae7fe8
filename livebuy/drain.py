"""Graceful drain: what a gateway does between SIGTERM and exiting.

1. Not ready: ``/readyz`` answers 503 and new websocket handshakes are refused with 503 (HTTP
   requests are still served), so a balancer stops sending viewers here.
2. After ``drain_grace_ms``, the viewers are closed with 1012 in batches spread over
   ``drain_window_ms``, each told a random delay to wait before reconnecting (the close reason
   ``restarting: reconnect in <ms> ms``), so they do not all reconnect in the same second. They
   resume elsewhere with ``since`` and miss nothing: every gateway reads the same show streams.
3. Then the server shuts down as usual: in-flight HTTP requests finish (bounded), the lifespan
   releases the leases, so another process takes the elected loops over at once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re

from fastapi import FastAPI

from livebuy import metrics
from livebuy.gateway.hub import HubRegistry
from livebuy.settings import DrainSettings

log = logging.getLogger(__name__)

# The reconnect hint in a 1012 close reason; clients wait this long (plus nothing) before resuming.
RECONNECT_HINT = re.compile(r"reconnect in (\d+) ms")


def restart_reason(delay_ms: int) -> str:
    """The 1012 close reason carrying the reconnect hint (``RECONNECT_HINT`` parses it back)."""
    return f"restarting: reconnect in {delay_ms} ms"


class Drain:
    """This process's drain: ``draining`` once SIGTERM arrived; ``run`` closes the viewers."""

    def __init__(self, settings: DrainSettings) -> None:
        self.draining = False
        self._settings = settings
        self._random = random.SystemRandom()

    async def run(self, hubs: HubRegistry) -> None:
        """Stop being ready, wait the grace, then close every viewer in spread batches.

        Viewers that join meanwhile (their handshake was accepted just before) are closed by a
        later batch: each batch takes from whoever is still connected, the last one takes all.
        """
        settings = self._settings
        self.draining = True
        total = sum(len(hub.connections) for hub in hubs.hubs())
        log.info("draining: not ready, closing %d viewer(s) after the grace period", total)
        await asyncio.sleep(settings.drain_grace_ms / 1000)
        batches = max(1, settings.drain_window_ms // settings.drain_batch_interval_ms)
        per_batch = max(1, math.ceil(total / batches))
        for batch in range(batches):
            last = batch == batches - 1
            closed = self._close_some(hubs, None if last else per_batch)
            left = sum(len(hub.connections) for hub in hubs.hubs())
            log.info("drain batch %d: closed %d viewer(s), %d left", batch + 1, closed, left)
            if last or not left:
                break
            await asyncio.sleep(settings.drain_batch_interval_ms / 1000)
        log.info("drained: every viewer was told to reconnect")

    def _close_some(self, hubs: HubRegistry, count: int | None) -> int:
        """Close ``count`` connected viewers (every one with ``None``) with 1012 and a hint;
        returns how many were closed."""
        jitter = self._settings.drain_reconnect_jitter_ms
        closed = 0
        for hub in hubs.hubs():
            for connection in list(hub.connections):
                if count is not None and closed >= count:
                    return closed
                if connection.close_for_restart(restart_reason(self._random.randint(0, jitter))):
                    hub.remove(connection)
                    metrics.DRAIN_CLOSES.inc()
                    closed += 1
        return closed


async def drain_app(app: FastAPI) -> None:
    """Drain the app's process (the hook ``server.DrainingServer`` runs on SIGTERM)."""
    services = app.state.services
    await services.drain.run(services.hubs)
