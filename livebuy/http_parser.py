"""uvicorn's httptools protocol with a cap on the request line and headers of each request.

httptools (llhttp) keeps a header until it is complete, however long: one 200 MB header costs
200 MB. This protocol counts the bytes it feeds the parser until the headers are complete and
refuses a request whose head goes over the cap with ``431`` (JSON) and a closed connection. The
count is exact for a request's first read; bytes of a pipelined next request that arrive in the
same read as the previous body are counted from the next read on, so a head can pass the cap by at
most one read (64 KiB), never without bound.
"""

from __future__ import annotations

import asyncio
import logging
from typing import ClassVar

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from livebuy.api.errors import error_body

logger = logging.getLogger("livebuy.http")


class HeadLimitedHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that refuses request heads over ``max_head_bytes`` (431, close)."""

    max_head_bytes: ClassVar[int] = 32 * 1024

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_bytes = 0
        self._in_head = True
        super().connection_made(transport)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0

    def _reading_head(self) -> bool:
        # A method, not the attribute: the parser's callbacks flip it during ``feed_data``.
        return self._in_head

    def data_received(self, data: bytes) -> None:
        if not self._reading_head():
            super().data_received(data)
            return
        budget = self.max_head_bytes - self._head_bytes
        if len(data) <= budget:
            self._head_bytes += len(data)
            super().data_received(data)
            return
        # Feed only what the cap allows; the rest is fed only if that completed the head.
        self._head_bytes += budget
        super().data_received(data[:budget])
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return
        if self._reading_head():
            self._refuse_head()
            return
        super().data_received(data[budget:])

    def _refuse_head(self) -> None:
        logger.warning(
            "request head over %d bytes refused",
            self.max_head_bytes,
            extra={"client": self.client, "status": 431},
        )
        cycle: RequestResponseCycle | None = self.cycle
        if cycle is None or cycle.response_complete:
            body = orjson.dumps(
                error_body(
                    "headers_too_large",
                    f"request line and headers over {self.max_head_bytes} bytes",
                )
            )
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                b"content-type: application/json\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
            )
        # else: a previous request's response is still being written; only closing is safe.
        self.transport.close()


def head_limited_protocol(max_head_bytes: int) -> type[HeadLimitedHttpToolsProtocol]:
    """The protocol class uvicorn should build connections with, for this cap."""
    return type(
        "HeadLimitedHttpToolsProtocol",
        (HeadLimitedHttpToolsProtocol,),
        {"max_head_bytes": max_head_bytes},
    )
