"""Outgoing frames encoded once per process: JSON text and the ready-to-write websocket bytes.

Server-to-client websocket frames are not masked, so the same bytes are valid on every
connection: the gateway builds them once and writes them to each viewer's transport.
"""

from __future__ import annotations

from dataclasses import dataclass

_FIN_TEXT = 0x81


def websocket_text_frame(payload: bytes) -> bytes:
    """An unfragmented, unmasked RFC 6455 text frame carrying ``payload``."""
    length = len(payload)
    if length < 126:
        header = bytes((_FIN_TEXT, length))
    elif length < 1 << 16:
        header = bytes((_FIN_TEXT, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((_FIN_TEXT, 127)) + length.to_bytes(8, "big")
    return header + payload


@dataclass(frozen=True, slots=True)
class Frame:
    """One outgoing frame: ``text`` for the ASGI path, ``wire`` for direct transport writes."""

    text: str
    wire: bytes

    @classmethod
    def of(cls, text: str) -> Frame:
        """Encode ``text`` once for every connection that will receive it."""
        return cls(text, websocket_text_frame(text.encode()))
