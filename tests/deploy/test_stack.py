"""compose.yaml's stack without Docker: its gateway replicas as composed, behind docs/nginx.conf."""

from __future__ import annotations

import asyncio
import re
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
from redis.asyncio import Redis
from websockets.asyncio.client import connect

from livebuy.redis.embedded import EmbeddedRedis
from tests.deploy.compose import ComposedGateway, generate_env, load_compose
from tests.deploy.conftest import StartNginx
from tests.servers import TIMEOUT_S, receive_json, receive_until

SHOW = "spring-runway"
VIEWERS = re.compile(r'^livebuy_viewers\{show_id="spring-runway"\} (\S+)$', re.MULTILINE)


async def viewers_on(gateway: ComposedGateway) -> float:
    """Viewers of the show connected to this replica, from its own /metrics."""
    async with httpx.AsyncClient(
        verify=False, base_url=gateway.base_url, timeout=TIMEOUT_S
    ) as client:
        match = VIEWERS.search((await client.get("/metrics")).text)
    return 0.0 if match is None else float(match.group(1))


async def test_composed_replicas_behind_nginx_serve_viewers_cues_and_video(
    tmp_path: Path, redis_server: EmbeddedRedis, redis: Redis, start_nginx: StartNginx
) -> None:
    """Viewers spread over the replicas through nginx, a cue reaches all, one replica encodes video."""
    env = generate_env(tmp_path)
    compose = load_compose(env)
    service = compose["services"]["gateway"]
    replicas = service["deploy"]["replicas"]
    gateways = []
    async with AsyncExitStack() as stack:
        for number in range(replicas):
            data_dir = tmp_path / f"replica{number}"
            data_dir.mkdir()
            gateway = ComposedGateway(service, redis_server.url, data_dir)
            stack.push_async_callback(gateway.stop)
            gateways.append(gateway)
        await asyncio.gather(*(gateway.start() for gateway in gateways))
        nginx = await start_nginx(*(gateway.port for gateway in gateways))

        viewers = [
            await stack.enter_async_context(connect(f"ws://127.0.0.1:{nginx.port}/ws/shows/{SHOW}"))
            for _ in range(replicas)
        ]
        for ws in viewers:
            assert (await receive_json(ws))["type"] == "snapshot"
        # least_conn: each replica holds one of the viewers.
        async with asyncio.timeout(TIMEOUT_S):
            while True:
                if [await viewers_on(gateway) for gateway in gateways] == [1.0] * replicas:
                    break
                await asyncio.sleep(0.05)

        async with httpx.AsyncClient(
            verify=False, base_url=nginx.base_url, timeout=TIMEOUT_S
        ) as client:
            published = await client.post(
                f"/api/shows/{SHOW}/cues",
                json={"cue": {"kind": "pin", "product_id": "lunaire-aviator"}, "id": "deploy-pin"},
                headers={"Authorization": f"Bearer {env['LIVEBUY_PRODUCER_TOKEN']}"},
            )
            assert published.status_code == 201, published.text
            for ws in viewers:
                while True:
                    frame = await receive_until(ws, "cue")
                    if frame["seq"] == published.json()["seq"]:
                        break

            # The demo video: one lease-elected replica runs ffmpeg, nginx serves its playlist.
            async with asyncio.timeout(TIMEOUT_S * 3):
                while True:
                    playlist = await client.get(f"/video/{SHOW}/index.m3u8")
                    if playlist.status_code == 200 and "#EXTINF" in playlist.text:
                        break
                    await asyncio.sleep(0.1)
            states = []
            for gateway in gateways:
                async with httpx.AsyncClient(
                    verify=False, base_url=gateway.base_url, timeout=TIMEOUT_S
                ) as direct:
                    states.append((await direct.get(f"/video/{SHOW}/status")).json()["encoding"])
        assert sorted(states) == [False] * (replicas - 1) + [True]
