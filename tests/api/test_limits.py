"""Request limits over a real socket: head (431/close), URL (414), body (413), all JSON."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from tests.servers import TIMEOUT_S, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]
CUES = "/api/shows/spring-runway/cues"


async def _raw_request(server: LiveServer, head: bytes) -> bytes:
    """Send ``head`` on a fresh connection and return what the server answered before closing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        # The server may refuse and reset the connection while the rest is still being sent.
        with contextlib.suppress(ConnectionError):
            writer.write(head)
            await writer.drain()
        async with asyncio.timeout(TIMEOUT_S):
            try:
                return await reader.read(65536)
            except ConnectionError:
                return b""
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_oversized_header_is_refused_and_server_keeps_serving(
    make_server: MakeServer,
) -> None:
    """A 1 MB header gets 431 (or a closed connection), not 200; the next request is served."""
    server = await make_server()
    big = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n"
    answer = await _raw_request(server, big)
    assert not answer.startswith(b"HTTP/1.1 200"), answer[:200]
    if answer:
        assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
        assert b'"code":"headers_too_large"' in answer
    ok = await _raw_request(
        server, b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Ok: " + b"a" * 16_000 + b"\r\n\r\n"
    )
    assert ok.startswith(b"HTTP/1.1 200"), ok[:200]


async def test_many_headers_over_the_cap_are_refused(make_server: MakeServer) -> None:
    """Many small headers adding up to more than the cap are refused like one big one."""
    server = await make_server(max_header_bytes=4096)
    headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(100))
    answer = await _raw_request(server, b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]


async def test_long_url_is_414_json(make_server: MakeServer) -> None:
    """A path and query over ``max_url_bytes`` answer 414 ``uri_too_long``."""
    server = await make_server()
    async with server.http() as client:
        response = await client.get("/healthz", params={"q": "x" * 9000})
        assert response.status_code == 414
        assert response.json()["error"]["code"] == "uri_too_long"
        assert response.headers["x-request-id"]
        assert (await client.get("/healthz", params={"q": "x" * 1000})).status_code == 200


async def test_declared_body_over_limit_is_413_json(make_server: MakeServer) -> None:
    """A ``Content-Length`` over ``max_body_bytes`` is refused up front with 413 JSON."""
    server = await make_server()
    async with server.http() as client:
        response = await client.post(
            CUES,
            content=b"{" + b" " * 2_000_000 + b"}",
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_streamed_body_over_limit_is_413_json(make_server: MakeServer) -> None:
    """A chunked body (no ``Content-Length``) is counted as read and refused once over the limit."""
    server = await make_server(max_body_bytes=64 * 1024)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"cue": {"kind": "announce", "text": "'
        for _ in range(20):
            yield b"x" * 8192
        yield b'"}}'

    async with server.http() as client:
        response = await client.post(
            CUES, content=chunks(), headers={"content-type": "application/json"}
        )
    assert response.status_code == 413, response.text[:300]
    assert response.json()["error"]["code"] == "payload_too_large"
