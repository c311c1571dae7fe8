"""The viewer connection's state machine (joining → live → closing), without sockets.

``FakeTransport`` stands in for the OS socket under uvicorn's transport (it records writes and
reports an unsent backlog); everything of livebuy's is the real code.
"""

from __future__ import annotations

from collections.abc import Coroutine
from types import SimpleNamespace
from typing import Any, cast

from livebuy.gateway.connection import Position, State, ViewerConnection
from livebuy.gateway.endpoint import direct_show_socket
from livebuy.gateway.fastpath import (
    RAW_SOCKET,
    RawSocket,
)
from livebuy.gateway.frames import Frame


class FakeTransport:
    """The four calls the gateway makes on a transport; ``unsent`` plays the kernel's backlog."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.unsent = 0
        self.closing = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def get_write_buffer_size(self) -> int:
        return self.unsent

    def is_closing(self) -> bool:
        return self.closing

    def abort(self) -> None:
        self.closing = True


def frame(seq: int) -> Frame:
    return Frame.of(f'{{"type":"cue","seq":{seq}}}')


def viewer(
    max_frames: int = 100, max_bytes: int = 1 << 20
) -> tuple[ViewerConnection, FakeTransport]:
    transport = FakeTransport()
    raw = RawSocket(cast(Any, SimpleNamespace(transport=transport)))
    websocket = cast(Any, SimpleNamespace(scope={RAW_SOCKET: raw}))
    connection = ViewerConnection(
        websocket, max_frames=max_frames, max_bytes=max_bytes, close_timeout_s=1.0
    )
    return connection, transport


def test_joining_queues_and_start_sends_only_what_the_snapshot_did_not_cover() -> None:
    """Frames queued while joining go out at start in one write, minus those <= the snapshot."""
    connection, transport = viewer()
    connection.deliver(4, [frame(4), frame(5)])
    connection.deliver(6, [frame(6)])
    assert (connection.state, transport.written) == (State.JOINING, [])
    connection.last_seq = 5  # the snapshot's seq
    connection.start()
    assert connection.state is State.LIVE
    assert transport.written == [frame(6).wire]
    assert connection.last_seq == 6


def test_live_delivery_drops_what_the_viewer_has_and_keeps_order() -> None:
    """A batch overlapping what the viewer has is trimmed; a repeated batch writes nothing."""
    connection, transport = viewer()
    connection.last_seq = 10
    connection.start()
    frames = [frame(9), frame(10), frame(11), frame(12)]
    connection.deliver(9, frames, b"".join(f.wire for f in frames))
    connection.deliver(11, [frame(11), frame(12)])
    connection.deliver(None, [frame(0)])
    assert transport.written == [frame(11).wire + frame(12).wire, frame(0).wire]
    assert connection.last_seq == 12


def test_hub_takes_the_transport_only_once_the_viewer_is_live_and_caught_up() -> None:
    """The hub's tight loop gets the transport of a live viewer at its position, and shares it."""
    connection, transport = viewer()
    hub = Position(7)
    assert connection.hub_transport(hub) is None  # still joining
    connection.last_seq = 6
    connection.start()
    assert connection.hub_transport(hub) is None  # behind the hub
    connection.deliver(7, [frame(7)])
    assert connection.hub_transport(hub) is cast(Any, transport)
    hub.seq = 9
    assert connection.last_seq == 9


def test_overflow_while_joining_closes_and_nothing_more_is_delivered() -> None:
    """A joining viewer over its frame bound goes to closing; later frames are dropped."""
    connection, transport = viewer(max_frames=2)
    connection.deliver(1, [frame(1), frame(2), frame(3)])
    assert connection.state is State.CLOSING and connection.too_slow
    connection.start()
    connection.deliver(4, [frame(4)])
    assert connection.state is State.CLOSING
    assert transport.written == []


def test_a_restart_while_joining_only_flags_the_viewer() -> None:
    """History lost while a viewer joins: it is flagged to reconnect, nothing is written."""
    connection, transport = viewer()
    connection.deliver(3, [frame(3)])
    connection.restart(1, frame(1))
    assert connection.restarted_while_joining
    assert transport.written == []


def test_a_restart_when_live_sends_the_snapshot_and_continues_after_it() -> None:
    """History lost for a live viewer: the new snapshot goes out and frames continue after it."""
    connection, transport = viewer()
    connection.last_seq = 50
    connection.start()
    snapshot = frame(0)
    connection.restart(2, snapshot)
    connection.deliver(3, [frame(3)])
    assert transport.written == [snapshot.wire, frame(3).wire]


def test_a_raw_viewer_needs_no_writer_task_and_keeps_no_instance_dict() -> None:
    """On a raw transport there is no writer to run, and the per-viewer object has slots only."""
    connection, _ = viewer()
    connection.start()
    assert connection.writer() is None
    assert not hasattr(connection, "__dict__")


def test_the_show_socket_is_served_directly_and_nothing_else() -> None:
    """Only a websocket scope on /ws/shows/{show_id} skips the app's layers, with its show id."""
    app = cast(Any, SimpleNamespace())

    def scope(kind: str, path: str, root_path: str = "") -> dict[str, Any]:
        return {"type": kind, "path": path, "root_path": root_path, "query_string": b""}

    async def never(*_: Any) -> Any:
        raise AssertionError("not called")

    for other in (
        scope("http", "/ws/shows/spring"),
        scope("websocket", "/ws/shows/"),
        scope("websocket", "/ws/shows/spring/more"),
        scope("websocket", "/ws/shows/spring", root_path="/api"),
    ):
        assert direct_show_socket(app, other, never, never) is None
    served = scope("websocket", "/ws/shows/spring")
    handler = direct_show_socket(app, served, never, never)
    assert handler is not None
    cast(Coroutine[Any, Any, None], handler).close()
    assert served["app"] is app and served["path_params"] == {"show_id": "spring"}
