"""Shows as a service: their definitions in Redis, publishing cues, and their part of a snapshot."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from redis.asyncio import Redis

from catalog.store import CatalogStore
from livebuy.clock import now_ms
from livebuy.errors import InvalidInputError, ProductNotFoundError, ShowNotFoundError
from livebuy.events.models import CUE_KINDS, TimelineEvent
from livebuy.events.state import running_deal, show_polls
from livebuy.events.stream import Appended, ShowStream, StreamPosition
from livebuy.redis import keys
from livebuy.shows.models import (
    CountdownCue,
    Cue,
    DealEndCue,
    DealStartCue,
    GiveawayCue,
    PinCue,
    PollCloseCue,
    PollCue,
    PublishedCue,
    QuizCue,
    RedPacketsCue,
    ShowDefinition,
    ShowSummary,
    TimelineView,
    UnpinCue,
)
from livebuy.shows.state import ends_at, poll_window_ms, state_ops
from livebuy.shows.timeline_store import TimelineStore

# A feature whose cue needs its own atomic step (e.g. an auction: open it and append the cue
# together) handles its kind: ``(show_id, cue_id, cue, at_ms, dedupe_id, speed, strict)``.
# ``strict`` (a producer's live cue) raises refusals; a run-sheet cue must not stop the player.
CueHandler = Callable[[str, str, Any, int, str | None, float, bool], Awaitable[Appended]]


class GiveawayOpener(Protocol):
    """What publishing a giveaway cue needs of the games domain (which depends on shows, not
    the other way round): open it with its committed seed, and tell whether it is open."""

    async def open(
        self, show_id: str, cue: GiveawayCue, at_ms: int, speed: float
    ) -> dict[str, Any]:
        """Open the giveaway; the fields its cue event adds (``commitment``, ``ends_at``)."""
        ...

    async def is_open(self, show_id: str, giveaway_id: str) -> bool:
        """Whether the giveaway is taking entries or being drawn."""
        ...


class DropOpener(Protocol):
    """What publishing a lottery deal's cue needs of the games domain: open its entry window
    with a committed seed before viewers can see the cue."""

    async def open(
        self, show_id: str, cue: DealStartCue, at_ms: int, speed: float
    ) -> dict[str, Any]:
        """Open the drop; the fields its cue adds (``entry_window_ms``, ``pay_hold_ms``,
        ``entries_close_at``, ``seed_hash``)."""
        ...


@dataclass(frozen=True)
class ShowSnapshot:
    """The show's part of a join snapshot, read with the seq it reflects.

    ``deals`` are as started (without units left: commerce counts those).
    """

    position: StreamPosition
    show: dict[str, Any]
    pinned: list[dict[str, Any]]
    deals: list[dict[str, Any]]
    countdowns: list[dict[str, Any]]
    announcement: dict[str, Any] | None
    timeline: dict[str, Any]
    # Paid units per product in the trailing window, as last pushed (``sales_velocity`` frames).
    sales_velocity: dict[str, int] = field(default_factory=dict)


class ShowService:
    """Stores shows and publishes their cues to the show stream."""

    def __init__(
        self,
        redis: Redis,
        stream: ShowStream,
        catalog: CatalogStore,
        speed: float,
        *,
        giveaways: GiveawayOpener | None = None,
        drops: DropOpener | None = None,
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._catalog = catalog
        self._giveaways = giveaways
        self._drops = drops
        self.timelines = TimelineStore(redis, speed)
        # Cue kinds played by their feature's own step (``CueHandler``), filled in by the app.
        self.cue_handlers: dict[str, CueHandler] = {}
        # Told the show's id when its timeline or start changes here (its player wakes up).
        self.timeline_listeners: list[Callable[[str], None]] = []

    async def save(self, show: ShowDefinition, *, keep_start: bool = False) -> ShowDefinition:
        """Store a show; with ``keep_start`` an already stored start time wins (restarts resume)."""
        stored = await self._redis.get(keys.show_definition(show.id))
        previous = None if stored is None else ShowDefinition.model_validate_json(stored)
        if keep_start and previous is not None:
            show = show.model_copy(update={"starts_at_ms": previous.starts_at_ms})
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.set(keys.show_definition(show.id), show.model_dump_json())
            if previous is None or previous.starts_at_ms != show.starts_at_ms:
                # A timeline is anchored on the start it was made for; a new start drops it.
                await pipe.delete(keys.show_timeline(show.id))
            await pipe.execute()
        # The index is in another slot than the show (a cluster runs no MULTI across slots), so it
        # follows the definition: a listed id always has one, and a save that failed in between
        # is listed by the next save (every start saves every show).
        await self._redis.sadd(keys.shows_index(), show.id)
        if previous is not None and previous.starts_at_ms != show.starts_at_ms:
            self._timeline_changed(show.id)
        return show

    def _timeline_changed(self, show_id: str) -> None:
        for listener in self.timeline_listeners:
            listener(show_id)

    async def get(self, show_id: str) -> ShowDefinition:
        """One show.

        Raises:
            ShowNotFoundError: no such show.
        """
        raw = await self._redis.get(keys.show_definition(show_id))
        if raw is None:
            raise ShowNotFoundError(f"unknown show '{show_id}'", show_id=show_id)
        return ShowDefinition.model_validate_json(raw)

    async def list(self) -> list[ShowSummary]:
        """Every show, ordered by start time."""
        ids = sorted(cast(set[str], await self._redis.smembers(keys.shows_index())))
        # One GET per show in a pipeline, not MGET: each show is in its own slot.
        async with self._redis.pipeline(transaction=False) as pipe:
            for show_id in ids:
                await pipe.get(keys.show_definition(show_id))
            raws: list[str | None] = await pipe.execute() if ids else []
        shows = [ShowDefinition.model_validate_json(raw) for raw in raws if raw is not None]
        return [
            ShowSummary(
                id=show.id,
                title=show.title,
                description=show.description,
                starts_at_ms=show.starts_at_ms,
                length_ms=show.length_ms,
                loop=show.loop,
                cue_count=len(show.cues),
            )
            for show in sorted(shows, key=lambda show: show.starts_at_ms)
        ]

    async def publish(
        self,
        show_id: str,
        cue_id: str,
        cue: Cue,
        at_ms: int,
        *,
        dedupe_id: str | None = None,
        speed: float | None = None,
        strict: bool = False,
    ) -> Appended:
        """Append a cue to the show stream with the product card it shows, and apply its state.

        Durations run at ``speed``; without it, at the speed the show's timeline has now. A kind
        with a handler in ``cue_handlers`` is played by it (``strict``: refusals raise).
        """
        if speed is None:
            speed = await self.timelines.speed(show_id)
        handler = self.cue_handlers.get(cue.kind)
        if handler is not None:
            return await handler(show_id, cue_id, cue, at_ms, dedupe_id, speed, strict)
        data: dict[str, Any] = {"cue_id": cue_id, **cue.model_dump(mode="json")}
        if isinstance(cue, PinCue | DealStartCue):
            card = await self._catalog.get_card(cue.product_id)
            data["product"] = card.model_dump(mode="json")
        if (
            isinstance(cue, CountdownCue | DealStartCue | RedPacketsCue)
            and cue.duration_ms is not None
        ):
            # Clients need not know the rehearsal speed the duration runs at.
            data["ends_at"] = ends_at(at_ms, cue.duration_ms, speed)
        if isinstance(cue, PollCue | QuizCue):
            # The correct option of a quiz reaches viewers only with its final result.
            data.pop("correct_option", None)
            data["closes_at"] = ends_at(at_ms, poll_window_ms(cue), speed)
        if isinstance(cue, PollCloseCue):
            data["closes_at"] = at_ms
        if isinstance(cue, GiveawayCue):
            if self._giveaways is None:
                raise InvalidInputError("giveaways are not enabled here", field="cue.kind")
            # Opened (seed drawn and committed) before viewers can see it and tap.
            data.update(await self._giveaways.open(show_id, cue, at_ms, speed))
        lottery = None
        if isinstance(cue, DealStartCue):
            # A first-come deal's frame stays as it was, but for its ``mode``.
            data = {name: value for name, value in data.items() if value is not None}
            data["duration_ms"] = cue.duration_ms
            if cue.mode == "lottery":
                if self._drops is None:
                    raise InvalidInputError("lottery deals are not enabled here", field="cue.mode")
                # Opened (seed drawn and committed) before viewers can see it and tap.
                lottery = await self._drops.open(show_id, cue, at_ms, speed)
                data.update(lottery)
        event = CUE_KINDS[cue.kind].model_validate(data)
        ops = state_ops(cue, cue_id, at_ms, speed, lottery=lottery)
        return await self._stream.append(show_id, at_ms, event, ops, dedupe_id=dedupe_id)

    async def publish_live(self, show_id: str, cue: Cue, cue_id: str | None) -> PublishedCue:
        """A producer's cue: validated against the catalog and the show's state, played now.

        A retried request with the same cue id is published once and answered the same way.

        Raises:
            ShowNotFoundError: no such show.
            InvalidInputError: the cue names an unknown product or a deal that is not running,
                closes a poll that is not open, opens one that is, or opens a giveaway that is.
        """
        show = await self.get(show_id)
        product_id = cue.product_id if isinstance(cue, PinCue | DealStartCue | UnpinCue) else None
        if product_id is not None:
            try:
                await self._catalog.get_product(product_id)
            except ProductNotFoundError as error:
                raise InvalidInputError(error.message, field="cue.product_id") from error
        if (
            isinstance(cue, DealEndCue)
            and await running_deal(self._redis, show_id, cue.deal_id) is None
        ):
            raise InvalidInputError(f"deal '{cue.deal_id}' is not running", field="cue.deal_id")
        if isinstance(cue, PollCue | QuizCue | PollCloseCue):
            polls = await show_polls(self._redis, show_id)
            is_open = any(p["poll_id"] == cue.poll_id and p["final"] is None for p in polls)
            # Reopening an open poll would start a new run and leave the current one unfinished.
            if is_open != isinstance(cue, PollCloseCue):
                state = "is not open" if isinstance(cue, PollCloseCue) else "is open already"
                raise InvalidInputError(f"poll '{cue.poll_id}' {state}", field="cue.poll_id")
        if (
            isinstance(cue, GiveawayCue)
            and self._giveaways is not None
            and await self._giveaways.is_open(show_id, cue.giveaway_id)
        ):
            raise InvalidInputError(
                f"giveaway '{cue.giveaway_id}' is open already", field="cue.giveaway_id"
            )
        cue_id = cue_id or f"live-{secrets.token_hex(6)}"
        at = now_ms()
        speed = await self.timelines.speed(show.id)
        appended = await self.publish(
            show_id, cue_id, cue, at, dedupe_id=f"live:{cue_id}", speed=speed, strict=True
        )
        return PublishedCue(cue_id=cue_id, seq=appended.seq, at=at)

    async def timeline_view(self, show_id: str) -> TimelineView:
        """The show's timeline with its play head now.

        Raises:
            ShowNotFoundError: no such show.
        """
        show = await self.get(show_id)
        return (await self.timelines.read(show)).view(show, now_ms())

    async def change_timeline(
        self, show_id: str, *, speed: float | None = None, paused: bool | None = None
    ) -> TimelineView:
        """Set the rehearsal speed and/or pause from now on, and tell every viewer.

        The ``timeline`` event carries the version; a client keeps the highest it saw, so two
        changes whose events land in the other order still leave everyone on the last one.

        Raises:
            ShowNotFoundError: no such show.
        """
        show = await self.get(show_id)
        now = now_ms()
        change = await self.timelines.change(show, now, speed=speed, paused=paused)
        timeline = change.timeline
        if change.changed:
            event = TimelineEvent.model_validate(timeline.to_json())
            await self._stream.append(show_id, timeline.anchor.wall_ms, event)
            self._timeline_changed(show_id)
        return timeline.view(show, now)

    async def snapshot(self, show_id: str) -> ShowSnapshot:
        """The show, its pinned product cards, deals, countdowns, announcement and timeline.

        Raises:
            ShowNotFoundError: no such show.
        """
        show = await self.get(show_id)
        position, state = await self._stream.state(show_id)
        cards = await self._catalog.get_cards([pin["product_id"] for pin in state["pins"]])
        pinned = [
            {**pin, "product": card.model_dump(mode="json")}
            for pin, card in zip(state["pins"], cards, strict=True)
        ]
        return ShowSnapshot(
            position=position,
            show={
                "id": show.id,
                "title": show.title,
                "description": show.description,
                "starts_at_ms": show.starts_at_ms,
                "length_ms": show.length_ms,
                # Only a show that runs experiments says so: every other snapshot stays as it was.
                **(
                    {"experiments": [e.model_dump(mode="json") for e in show.experiments]}
                    if show.experiments
                    else {}
                ),
            },
            pinned=pinned,
            deals=state["deals"],
            countdowns=state["countdowns"],
            announcement=state["announcement"],
            timeline=(await self.timelines.read(show)).to_json(),
            sales_velocity=state["sales_velocity"],
        )
