"""Poll and quiz endpoints: a viewer's vote, the producer's live counts and a quiz's winners."""

from __future__ import annotations

from fastapi import APIRouter

from livebuy.api.auth import ProducerDep
from livebuy.api.deps import PollsDep
from livebuy.api.game_limits import PlayerDep
from livebuy.clock import now_ms
from livebuy.games.polls.models import PollStatus, QuizWinners, VoteAccepted, VoteRequest

router = APIRouter(prefix="/api/shows/{show_id}/polls", tags=["polls"])


@router.post("/{poll_id}/votes", status_code=201)
async def vote(
    polls: PollsDep, player: PlayerDep, show_id: str, poll_id: str, body: VoteRequest
) -> VoteAccepted:
    """Vote (or answer a quiz) once per session; a second vote is refused (409 ``already_voted``).

    Also 429 ``vote_cap`` (per-IP cap of the poll run) and ``game_rate_limited`` (per session).
    """
    return await polls.vote(
        show_id,
        poll_id,
        player.session.session_id,
        body.option,
        body.program_ms,
        now_ms(),
        player.ip,
    )


@router.get("")
async def list_polls(polls: PollsDep, show_id: str, _: ProducerDep) -> list[PollStatus]:
    """Every poll of the show with its counts, hidden ones too (producer bearer token)."""
    return await polls.status(show_id)


@router.get("/{poll_id}/winners")
async def quiz_winners(polls: PollsDep, show_id: str, poll_id: str, _: ProducerDep) -> QuizWinners:
    """The sessions that answered a closed quiz correctly, and the prize (producer bearer token)."""
    return await polls.winners(show_id, poll_id)
