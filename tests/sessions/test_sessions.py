"""Guest sessions over the real HTTP API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.servers import LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]


async def test_create_session_with_and_without_a_name(make_server: MakeServer) -> None:
    """A chosen name is kept (NFC-normalised); without one a name is generated; tokens differ."""
    server = await make_server()
    async with server.http() as client:
        named = await client.post("/api/sessions", json={"display_name": "  Cafe\u0301 Fan "})
        anonymous = await client.post("/api/sessions")
    assert named.status_code == 201 and anonymous.status_code == 201
    assert named.json()["display_name"] == "Caf\u00e9 Fan"
    assert anonymous.json()["display_name"]
    assert named.json()["token"] != anonymous.json()["token"]
    assert named.json()["token"].startswith(named.json()["session_id"] + ".")


async def test_bad_session_requests_get_clear_errors(make_server: MakeServer) -> None:
    """Control characters, blank or too-long names and wrong types are 422 with a JSON error."""
    server = await make_server()
    async with server.http() as client:
        for body in (
            {"display_name": "a\u0007b"},
            {"display_name": "   "},
            {"display_name": "x" * 41},
            {"display_name": 5},
            {"nick": "x"},
        ):
            response = await client.post("/api/sessions", json=body)
            assert response.status_code == 422, body
            assert response.json()["error"]["code"] == "invalid_input"
