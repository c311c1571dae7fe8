"""Who gets the deals: per-IP caps on votes, entries and grabs, the per-session action limit,
and the per-game report of distinct viewers who entered vs won."""

from __future__ import annotations

from typing import Any

from websockets.asyncio.client import connect

from livebuy.clock import now_ms
from tests.chat.helpers import PRODUCER, SHOW, MakeServer, new_session
from tests.servers import receive_json

# The test client is 127.0.0.1, a trusted proxy here, so X-Forwarded-For names each viewer's IP.
HOME, OFFICE, CAFE = "203.0.113.1", "203.0.113.2", "203.0.113.3"
QUIZ = {
    "kind": "quiz",
    "poll_id": "fair-quiz",
    "question": "Which fabric?",
    "options": ["linen", "silk", "wool"],
    "correct_option": 1,
    "time_limit_ms": 60_000,
}
RAIN = {
    "kind": "red_packets",
    "rain_id": "fair-rain",
    "budget": 200,
    "currency": "EUR",
    "count": 2,
    "min_amount": 50,
    "max_amount": 150,
    "duration_ms": 120_000,
}
GIVEAWAY = {
    "kind": "giveaway",
    "giveaway_id": "fair-giveaway",
    "title": "A coupon",
    "prize": {"kind": "coupon", "coupon_kind": "amount", "value": 500, "currency": "EUR"},
    "winners": 5,
    "duration_ms": 600_000,
}


def _as(viewer: dict[str, Any], ip: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {viewer['token']}", "X-Forwarded-For": ip}


async def test_caps_rate_limit_and_reports(make_server: MakeServer) -> None:
    """Each game refuses the third viewer from one IP (429 vote_cap / grab_cap / entry_cap), a
    session tapping past its burst gets 429 game_rate_limited with Retry-After, and each game's
    producer report counts distinct entrants, winners and addresses."""
    server = await make_server(
        trusted_proxies=["127.0.0.1/32"],
        poll_ip_cap=2,
        red_packet_ip_cap=2,
        giveaway_ip_cap=2,
        game_actions_burst=3,
        game_actions_per_minute=1,
    )
    a, b, c, d, bot = [await new_session(server) for _ in range(5)]
    ips = {"a": HOME, "b": HOME, "c": HOME, "d": OFFICE}
    viewers = {"a": a, "b": b, "c": c, "d": d}
    # Giveaway entrants must be watching: each viewer's socket is open.
    sockets = [await connect(server.ws_url(SHOW, token=v["token"])) for v in viewers.values()]
    try:
        for ws in sockets:
            await receive_json(ws)
        for cue in (QUIZ, RAIN, GIVEAWAY):
            await server.post_cue(SHOW, cue)
        async with server.http() as client:
            path = f"/api/shows/{SHOW}"
            codes: dict[str, list[Any]] = {"vote": [], "grab": [], "enter": []}
            answers = {"a": 1, "b": 0, "c": 1, "d": 1}
            for name, viewer in viewers.items():
                headers = _as(viewer, ips[name])
                vote = await client.post(
                    f"{path}/polls/fair-quiz/votes",
                    json={"option": answers[name], "program_ms": now_ms()},
                    headers=headers,
                )
                grab = await client.post(f"{path}/red-packets/fair-rain/grab", headers=headers)
                enter = await client.post(
                    f"{path}/giveaways/fair-giveaway/entries", headers=headers
                )
                for action, response in (("vote", vote), ("grab", grab), ("enter", enter)):
                    body = response.json()
                    codes[action].append(body["error"]["code"] if "error" in body else None)
            assert codes == {
                "vote": [None, None, "vote_cap", None],
                "grab": [None, None, "grab_cap", "rain_empty"],
                "enter": [None, None, "entry_cap", None],
            }

            # A bot: three taps are its burst, the fourth is refused before any game rule.
            taps = [
                await client.post(
                    f"{path}/polls/fair-quiz/votes",
                    json={"option": 0, "program_ms": now_ms()},
                    headers=_as(bot, CAFE),
                )
                for _ in range(4)
            ]
            assert [t.status_code for t in taps] == [201, 409, 409, 429]
            assert taps[3].json()["error"]["code"] == "game_rate_limited"
            assert int(taps[3].headers["Retry-After"]) >= 1

            polls = (await client.get(f"{path}/polls", headers=PRODUCER)).json()
            assert polls[0]["report"] == {"entered": 4, "distinct_winners": 2, "addresses": 3}
            rains = (await client.get(f"{path}/red-packets", headers=PRODUCER)).json()
            assert rains[0]["report"] == {"entered": 3, "distinct_winners": 2, "addresses": 2}
            closed = await client.post(f"{path}/giveaways/fair-giveaway/close", headers=PRODUCER)
            assert closed.status_code == 200, closed.text
            assert closed.json()["report"] == {
                "entered": 3,
                "distinct_winners": 3,
                "addresses": 2,
            }
    finally:
        for ws in sockets:
            await ws.close()
