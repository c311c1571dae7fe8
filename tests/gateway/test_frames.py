"""Pre-built websocket frames are byte-identical to what the websockets library would send."""

from __future__ import annotations

import pytest
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode

from livebuy.gateway.frames import Frame, websocket_text_frame


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65_535, 65_536, 200_000])
def test_text_frame_matches_the_websockets_library(length: int) -> None:
    """Every length class of the RFC 6455 header (7-bit, 16-bit, 64-bit) is encoded correctly."""
    payload = b"x" * length
    expected = WsFrame(Opcode.TEXT, payload).serialize(mask=False)
    assert websocket_text_frame(payload) == expected


def test_frame_keeps_text_and_utf8_wire_bytes() -> None:
    """A frame carries its JSON text and the framed UTF-8 bytes of that same text."""
    frame = Frame.of('{"text":"café ✨"}')
    assert frame.wire == websocket_text_frame('{"text":"café ✨"}'.encode())
