"""What an accepted viewer keeps (memory per viewer): a websocket parser without its handshake, and
uvicorn's receive queue and writable flag in light stand-ins that behave the same."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

from livebuy.gateway.fastpath import Inbox, Writable, drop_handshake_parser
from tests.servers import TIMEOUT_S

UPGRADE = (
    b"GET /ws/shows/spring-runway HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\nUser-Agent: a browser with a long user agent string\r\n\r\n"
)
MASK = b"\x01\x02\x03\x04"


def _masked_text(payload: bytes) -> bytes:
    """A client's text frame (clients mask every frame)."""
    masked = bytes(byte ^ MASK[index % 4] for index, byte in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + MASK + masked


def _accepted() -> tuple[ServerProtocol, weakref.ref[Request]]:
    conn = ServerProtocol()
    conn.receive_data(UPGRADE)
    [request] = conn.events_received()
    assert isinstance(request, Request)
    conn.send_response(conn.accept(request))
    conn.data_to_send()
    return conn, weakref.ref(request)


def test_the_request_is_freed_and_frames_still_parse() -> None:
    """After the swap the parsed request (every header) is garbage, and client frames, whole or
    in pieces, parse as before."""
    conn, request = _accepted()
    drop_handshake_parser(conn)
    gc.collect()
    assert request() is None
    frame = _masked_text(b'{"type":"ping","data":{"t":1}}')
    conn.receive_data(frame[:3])
    conn.receive_data(frame[3:] + _masked_text(b"{}"))
    events = conn.events_received()
    assert [(event.opcode, event.data) for event in events if isinstance(event, Frame)] == [
        (Opcode.TEXT, b'{"type":"ping","data":{"t":1}}'),
        (Opcode.TEXT, b"{}"),
    ]


def test_a_parser_inside_a_frame_is_left_alone() -> None:
    """With part of a frame already read the parser is not replaced, so no byte is lost."""
    conn, _ = _accepted()
    frame = _masked_text(b"hello")
    conn.receive_data(frame[:4])
    parser = conn.parser
    drop_handshake_parser(conn)
    assert conn.parser is parser
    conn.receive_data(frame[4:])
    [event] = conn.events_received()
    assert isinstance(event, Frame) and event.data == b"hello"


async def test_inbox_keeps_order_and_wakes_its_reader() -> None:
    """Items queued before the swap come first, in order; a waiting ``get`` wakes on the next
    ``put_nowait``; a second reader at once is refused rather than left hanging."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    queue.put_nowait("connect")
    queue.put_nowait("frame")
    inbox = Inbox(queue)
    assert [await inbox.get(), await inbox.get()] == ["connect", "frame"]
    assert inbox.empty()
    reading = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)  # one loop pass: the task starts and waits (no time involved)
    with pytest.raises(RuntimeError):
        await inbox.get()
    inbox.put_nowait("disconnect")
    assert await asyncio.wait_for(reading, TIMEOUT_S) == "disconnect"
    assert inbox.empty()


async def test_writable_waits_while_cleared_and_wakes_every_waiter() -> None:
    """``wait`` returns at once while set; while cleared, every waiter waits for ``set``; a
    cancelled waiter leaves nothing behind."""
    writable = Writable(True)
    assert await writable.wait()
    writable.clear()
    waiters = [asyncio.ensure_future(writable.wait()) for _ in range(3)]
    cancelled = asyncio.ensure_future(writable.wait())
    await asyncio.sleep(0)  # one loop pass: the task starts and waits (no time involved)
    assert not any(waiter.done() for waiter in waiters)
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)
    writable.set()
    assert await asyncio.wait_for(asyncio.gather(*waiters), TIMEOUT_S) == [True, True, True]
    assert writable.is_set()
