"""compose.cluster.yaml read the way Docker would: six Redis nodes formed into a cluster of three
masters with a replica each by its init service, gateways whose command and environment are real
livebuy settings for that cluster, and a node configuration a real redis-server accepts."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import redis
import typer

from livebuy.cli import cli
from livebuy.processes import terminate
from livebuy.redis.embedded import free_port, start_server, wait_until
from livebuy.settings import Settings
from tests.deploy.compose import CLUSTER_COMPOSE_FILE, ROOT, generate_env, image_env, load_compose
from tests.servers import TIMEOUT_S

NODES = [f"redis-{index}" for index in range(1, 7)]
NODE_CONFIG = "/usr/local/etc/redis/redis.conf"
CONFIG_FILE = ROOT / "docs" / "redis-cluster.conf"


def cluster_compose(tmp_path: Path) -> dict[str, Any]:
    """compose.cluster.yaml interpolated from a ``.env`` that ``scripts/compose-env`` wrote."""
    return load_compose(generate_env(tmp_path), CLUSTER_COMPOSE_FILE)


def test_gateway_is_configured_for_the_cluster_with_real_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every LIVEBUY_* variable of the gateway is a setting; with the image's they make valid
    production settings for a cluster named by a node, waiting for one replica per order; its
    command is ``livebuy serve --workers 2``."""
    services = cluster_compose(tmp_path)["services"]
    gateway = services["gateway"]
    env = {**image_env(), **{name: str(value) for name, value in gateway["environment"].items()}}
    known = {f"LIVEBUY_{name.upper()}" for name in Settings().flat()}
    assert {name for name in env if name.startswith("LIVEBUY_")} <= known
    for name in os.environ:
        if name.startswith("LIVEBUY_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # Settings also read a .env in the working directory: only the composed environment counts.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = Settings()
    assert settings.server.environment == "production"
    assert settings.redis.redis_cluster is True
    assert settings.redis.redis_wait_replicas == 1
    node = urlparse(settings.redis.redis_url)
    assert (node.hostname, node.port) in {(name, 6379) for name in NODES}
    video = urlparse(settings.video.video_redis_url)
    assert video.hostname in services and "cluster" not in str(services[video.hostname])

    command = gateway["command"]
    assert command[:2] == ["livebuy", "serve"]
    group: Any = typer.main.get_command(cli)
    serve = group.get_command(None, "serve")
    assert serve.make_context("serve", command[2:]).params["workers"] == 2
    assert gateway["depends_on"]["redis-cluster-init"] == {
        "condition": "service_completed_successfully"
    }
    assert "/readyz" in " ".join(gateway["healthcheck"]["test"])
    assert services["proxy"]["depends_on"]["gateway"] == {"condition": "service_healthy"}


def test_init_service_forms_three_masters_with_a_replica_each(tmp_path: Path) -> None:
    """Each node loads the shared config and announces its own name; the init service waits for
    every node to be healthy and creates the cluster of exactly those six, one replica each."""
    services = cluster_compose(tmp_path)["services"]
    for name in NODES:
        node = services[name]
        assert node["command"] == [
            "redis-server",
            NODE_CONFIG,
            "--cluster-announce-hostname",
            name,
        ]
        assert f"./docs/redis-cluster.conf:{NODE_CONFIG}:ro" in node["volumes"]
        assert f"{name}:/data" in node["volumes"]
        assert node["restart"] == "unless-stopped"
    init = services["redis-cluster-init"]
    assert init["depends_on"] == {name: {"condition": "service_healthy"} for name in NODES}
    script = init["command"][-1]
    (loop,) = re.findall(r"for name in ([^;]+);", script)
    assert loop.split() == NODES
    assert "redis-cli --cluster create $nodes --cluster-replicas 1 --cluster-yes" in script
    assert "cluster_state:ok" in script
    # The script as the container's sh reads it (compose turned each $$ into $).
    assert init["command"][:2] == ["sh", "-euc"]
    subprocess.run(["sh", "-n", "-c", script], check=True, timeout=TIMEOUT_S)


def test_node_config_starts_a_real_cluster_node(tmp_path: Path) -> None:
    """docs/redis-cluster.conf (plus a node's announced name) starts redis-server in cluster mode
    with the node timeout, endpoint type and fsync policy compose.cluster.yaml documents."""
    port = free_port()
    process = start_server(
        port,
        tmp_path,
        "--cluster-announce-hostname",
        "redis-1",
        "--cluster-port",
        str(free_port()),
        config=CONFIG_FILE,
    )
    client: Any = redis.Redis(port=port, decode_responses=True)
    try:
        wait_until(process, port, lambda node: bool(node.ping()), TIMEOUT_S)
        assert client.info("cluster")["cluster_enabled"] == 1
        config = client.config_get("*")
        assert config["cluster-node-timeout"] == "5000"
        assert config["cluster-preferred-endpoint-type"] == "hostname"
        assert config["cluster-announce-hostname"] == "redis-1"
        assert (config["appendonly"], config["appendfsync"]) == ("yes", "always")
    finally:
        client.close()
        terminate(process, timeout_s=10)
