"""The floor: uvloop, no framework, one pre-encoded frame written straight to every transport.

``python -m loadtest.baselines.floor PORT``. A minimal HTTP/1.1 handshake upgrades ``GET`` requests
to websockets; ``POST /publish`` encodes one cue frame once and writes the same bytes to each
connection. Nothing is read from clients after the handshake. It is what one Python core can do at
best, the yardstick for livebuy's per-delivery cost.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
import sys
from typing import cast

import uvloop

from loadtest.baselines.frame import cue_frame

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B65"


def encode_text_frame(payload: bytes) -> bytes:
    """One unmasked, final websocket text frame."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


class FloorServer:
    """The registry of upgraded transports and the publish counter."""

    def __init__(self) -> None:
        self.transports: set[asyncio.Transport] = set()
        self.seq = 0

    def publish(self) -> int:
        """Write one frame to every connection; returns how many."""
        self.seq += 1
        wire = encode_text_frame(cue_frame(self.seq).encode())
        for transport in self.transports:
            transport.write(wire)
        return len(self.transports)


class FloorProtocol(asyncio.Protocol):
    """One connection: a handshake (websocket or publish), then nothing but writes."""

    def __init__(self, server: FloorServer) -> None:
        self._server = server
        self._buffer = b""
        self._upgraded = False
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._upgraded or self._transport is None:
            return
        self._buffer += data
        head, found, _ = self._buffer.partition(b"\r\n\r\n")
        if not found:
            return
        lines = head.split(b"\r\n")
        if lines[0].startswith(b"POST /publish"):
            sent = self._server.publish()
            body = str(sent).encode()
            self._transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                % (len(body), body)
            )
            self._transport.close()
            return
        key = next(
            (
                line.split(b":", 1)[1].strip()
                for line in lines
                if line.lower().startswith(b"sec-websocket-key:")
            ),
            b"",
        )
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        self._transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        self._upgraded = True
        self._server.transports.add(self._transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._server.transports.discard(self._transport)


async def serve(port: int) -> None:
    """Serve until killed."""
    server = FloorServer()
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(
        lambda: FloorProtocol(server), "127.0.0.1", port, backlog=4096
    )
    async with listener:
        await listener.serve_forever()


def main() -> None:
    """Serve on 127.0.0.1:PORT."""
    uvloop.run(serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
