"""The livebuy error tree. Services raise these; the edges map them to HTTP or websocket.

LivebuyError                      code            HTTP  websocket
├── NotFoundError                 not_found       404   error frame
│   ├── ProductNotFoundError      unknown_product 404
│   ├── ShowNotFoundError         unknown_show    404   close 4404
│   └── ReplayNotFoundError       unknown_replay  404   (no such recorded run, or no video)
│   └── UnknownCueError           unknown_cue     404   error frame (card_seen)
├── InvalidInputError             invalid_input   422   error frame
│   └── RunSheetError             invalid_run_sheet 422
├── UnauthorizedError             unauthorized    401   close 4401
├── ForbiddenError                forbidden       403   close 1008
└── CommerceError (commerce: cart, orders, payment)
    ├── SkuNotFoundError          unknown_sku     404
    ├── OrderNotFoundError        unknown_order   404
    ├── IdempotencyKeyMissingError idempotency_key_required 400
    ├── IdempotencyConflictError  idempotency_conflict 409
    ├── IdempotencyInProgressError idempotency_in_progress 409 (the key's first request is still creating)
    ├── EmptyCartError            empty_cart      409
    ├── OrderLineError            (names the line: index, sku)
    │   ├── OutOfStockError       out_of_stock    409
    │   ├── DealNotActiveError    deal_not_active 409
    │   └── LimitExceededError    limit_exceeded  409
    ├── CouponRejectedError       coupon_rejected 409
    ├── OrderStateError           invalid_order_state 409
    ├── PaymentDeclinedError      payment_declined 402
    └── PaymentTimeoutError       payment_timeout 504
ChatError (chat and reactions; websocket: error frame, connection stays)
├── ChatTextError                 invalid_text    422   (empty, too long, control characters)
├── UnknownReactionError          unknown_reaction 422
├── RateLimitedError              rate_limited    429   (+ retry_after_ms)
│   └── SlowModeError             slow_mode       429   (+ retry_after_ms)
├── MutedError                    muted           403   (+ retry_after_ms)
│   └── BannedError               banned          403   (+ retry_after_ms)
└── MessageNotFoundError          unknown_message 404
TooManyRequestsError              rate_limited    429   (+ retry_after_s; HTTP Retry-After)
└── GameRateLimitedError          game_rate_limited 429 (a session's game actions, per minute)
DrainingError                     draining        503   (websocket handshake refused with HTTP 503 + Retry-After while the gateway drains)
NotReplicatedError                not_replicated  503   (LIVEBUY_REDIS_WAIT_REPLICAS: the order is saved but no replica
                                                          confirmed it in time; + order_id, retry_after_ms)
PollError (polls and quizzes: a vote refused)
├── PollNotFoundError             unknown_poll    404
├── PollClosedError               poll_closed     409   (+ closes_at)
├── AlreadyVotedError             already_voted   409   (+ option: the vote that counts)
├── InvalidOptionError            invalid_option  422
├── ProgramTimeError              invalid_program_time 422 (future, or before the poll opened)
├── VoteCapError                  vote_cap        429   (per-IP cap of one poll run)
└── PollNotFinalError             poll_not_final  409   (winners asked before the final result)
GameError (gala games: giveaways)
├── GiveawayNotFoundError         unknown_giveaway 404
├── GiveawayClosedError           giveaway_closed 409
├── GiveawayOpenError             giveaway_open   409   (not drawn yet)
├── AlreadyEnteredError           already_entered 409
├── NotEligibleError              not_eligible    403   (+ reason)
└── EntryCapError                 entry_cap       429   (per-IP cap of one giveaway)
RedPacketError (red-packet rain; + rain_id)
├── RedPacketRainNotFoundError    unknown_rain    404
├── RainClosedError               rain_closed     409
├── RainEmptyError                rain_empty      409
├── AlreadyGrabbedError           already_grabbed 409   (+ amount: what this viewer got)
└── GrabCapError                  grab_cap        429   (per-IP cap of one rain)
AuctionError (live auctions)
├── AuctionNotFoundError          unknown_auction 404
├── AuctionClosedError            auction_closed  409   (+ ends_at, server_now)
├── AuctionRunningError           auction_running 409
├── BidTooLowError                bid_too_low     409   (+ min_amount)
├── AlreadyLeadingError           already_leading 409
└── PaymentMethodRequiredError    payment_method_required 403
DropError (lottery drops: a flash deal in mode lottery; + deal_id)
├── DealNotFoundError             unknown_deal    404
├── DropClosedError               deal_not_active 409   (window not open, or closed; + entries_close_at)
├── DealNotLotteryError           deal_not_lottery 409  (a first-come deal: order it instead)
├── SessionTooNewError            session_too_new 403   (session created after the announcement)
└── DealInLotteryError            deal_in_lottery 409   (POST /api/orders while the lottery runs;
                                                          an OrderLineError too: + line, sku)
"""

from __future__ import annotations

from typing import Any, ClassVar


class LivebuyError(Exception):
    """Base of every error livebuy raises on purpose; carries a stable machine-readable code."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        """Body shared by HTTP error responses and websocket error frames."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        body.update(self.details)
        return body


class NotFoundError(LivebuyError):
    code = "not_found"
    http_status = 404


class ProductNotFoundError(NotFoundError):
    code = "unknown_product"


class ShowNotFoundError(NotFoundError):
    code = "unknown_show"


class ReplayNotFoundError(NotFoundError):
    code = "unknown_replay"


class UnknownCueError(NotFoundError):
    """A ``card_seen`` frame named no pin cue of the show (run sheet or live)."""

    code = "unknown_cue"


class InvalidInputError(LivebuyError):
    code = "invalid_input"
    http_status = 422


class RunSheetError(InvalidInputError):
    code = "invalid_run_sheet"


class UnauthorizedError(LivebuyError):
    code = "unauthorized"
    http_status = 401


class ForbiddenError(LivebuyError):
    code = "forbidden"
    http_status = 403


# --- commerce (cart, orders, payment) ---


class CommerceError(LivebuyError):
    """Base of the errors of carts, orders and payments."""

    code = "commerce_error"
    http_status = 409


class SkuNotFoundError(CommerceError):
    code = "unknown_sku"
    http_status = 404


class OrderNotFoundError(CommerceError):
    code = "unknown_order"
    http_status = 404


class IdempotencyKeyMissingError(CommerceError):
    code = "idempotency_key_required"
    http_status = 400


class IdempotencyConflictError(CommerceError):
    """The Idempotency-Key was already used with a different body."""

    code = "idempotency_conflict"
    http_status = 409


class IdempotencyInProgressError(CommerceError):
    """The Idempotency-Key's first request is still creating its order: retry shortly."""

    code = "idempotency_in_progress"
    http_status = 409


class EmptyCartError(CommerceError):
    """An order from the cart while the cart is empty (a state, not a malformed body)."""

    code = "empty_cart"


class OrderLineError(CommerceError):
    """An order line was refused; ``details`` name the line (``line``, ``sku``)."""


class OutOfStockError(OrderLineError):
    code = "out_of_stock"


class DealNotActiveError(OrderLineError):
    code = "deal_not_active"


class LimitExceededError(OrderLineError):
    code = "limit_exceeded"


class CouponRejectedError(CommerceError):
    """The coupon is unknown, outside its window, under its minimum spend or used up."""

    code = "coupon_rejected"


class OrderStateError(CommerceError):
    """The order is not in a state that allows this (e.g. paying an expired order)."""

    code = "invalid_order_state"


class PaymentDeclinedError(CommerceError):
    code = "payment_declined"
    http_status = 402


class PaymentTimeoutError(CommerceError):
    code = "payment_timeout"
    http_status = 504


# --- chat and reactions (issue 6) ---


class ChatError(LivebuyError):
    """A chat or reaction refused; on the websocket an error frame, the connection stays."""

    code = "chat_error"
    http_status = 400


class ChatTextError(ChatError):
    code = "invalid_text"
    http_status = 422


class UnknownReactionError(ChatError):
    code = "unknown_reaction"
    http_status = 422


class RateLimitedError(ChatError):
    code = "rate_limited"
    http_status = 429


class SlowModeError(RateLimitedError):
    code = "slow_mode"


class MutedError(ChatError):
    code = "muted"
    http_status = 403


class BannedError(MutedError):
    code = "banned"


class MessageNotFoundError(ChatError):
    code = "unknown_message"
    http_status = 404


# --- security: per-client request rate limits ---


class TooManyRequestsError(LivebuyError):
    """A client IP is over its limit for creating sessions or orders; ``retry_after_s`` says when."""

    code = "rate_limited"
    http_status = 429


class GameRateLimitedError(TooManyRequestsError):
    """A session votes, enters or grabs faster than a viewer could; ``retry_after_s`` says when."""

    code = "game_rate_limited"


# --- polls and quizzes (issue 13) ---


class PollError(LivebuyError):
    """A vote or answer refused, or a poll asked about in a state that does not allow it."""

    code = "poll_error"
    http_status = 409


class PollNotFoundError(PollError):
    code = "unknown_poll"
    http_status = 404


class PollClosedError(PollError):
    """The vote arrived after the close, by the server clock and by the viewer's program time."""

    code = "poll_closed"


class AlreadyVotedError(PollError):
    """One vote per session per poll: the first one counts and is never replaced."""

    code = "already_voted"


class InvalidOptionError(PollError):
    code = "invalid_option"
    http_status = 422


class ProgramTimeError(PollError):
    """``program_ms`` is ahead of the server beyond the tolerance, or before the poll opened."""

    code = "invalid_program_time"
    http_status = 422


class VoteCapError(PollError):
    """Too many votes in this poll run from the client's IP address."""

    code = "vote_cap"
    http_status = 429


class PollNotFinalError(PollError):
    code = "poll_not_final"


# --- gala games (issue 13) ---


class GameError(LivebuyError):
    """Base of the refusals of games inside a show."""

    code = "game_error"
    http_status = 409


class GiveawayNotFoundError(GameError):
    code = "unknown_giveaway"
    http_status = 404


class GiveawayClosedError(GameError):
    """The giveaway's entry window is over (or it was closed early)."""

    code = "giveaway_closed"


class GiveawayOpenError(GameError):
    """The giveaway has not been drawn yet (its grants are asked for too early)."""

    code = "giveaway_open"


class AlreadyEnteredError(GameError):
    """This session has entered the giveaway already (one entry per session)."""

    code = "already_entered"


class NotEligibleError(GameError):
    """The session does not meet the giveaway's rules; ``reason`` says which."""

    code = "not_eligible"
    http_status = 403


class EntryCapError(GameError):
    """Too many entries to this giveaway from the client's IP address."""

    code = "entry_cap"
    http_status = 429


# --- red-packet rain (issue 13) ---


class RedPacketError(LivebuyError):
    """A grab was refused; ``rain_id`` names the rain."""

    code = "red_packet_error"
    http_status = 409


class RedPacketRainNotFoundError(RedPacketError):
    code = "unknown_rain"
    http_status = 404


class RainClosedError(RedPacketError):
    code = "rain_closed"


class RainEmptyError(RedPacketError):
    code = "rain_empty"


class AlreadyGrabbedError(RedPacketError):
    code = "already_grabbed"


class GrabCapError(RedPacketError):
    """Too many viewers grabbed from this rain from the client's IP address."""

    code = "grab_cap"
    http_status = 429


# --- auctions ---


class AuctionError(LivebuyError):
    """A bid or an auction cue was refused."""

    code = "auction_error"
    http_status = 409


class AuctionNotFoundError(AuctionError):
    code = "unknown_auction"
    http_status = 404


class AuctionClosedError(AuctionError):
    """The auction's clock ran out (the server's clock decides), or it was cancelled."""

    code = "auction_closed"


class AuctionRunningError(AuctionError):
    code = "auction_running"


class BidTooLowError(AuctionError):
    """Under the current price plus the ladder's increment; ``min_amount`` is the floor."""

    code = "bid_too_low"


class AlreadyLeadingError(AuctionError):
    """The leader bid against themselves; raise the ceiling with ``max_amount`` instead."""

    code = "already_leading"


class PaymentMethodRequiredError(AuctionError):
    """Bidding needs a saved card (``PUT /api/payment-method``)."""

    code = "payment_method_required"
    http_status = 403


# Every refusal code a Lua script answers with (``{'error', code, ...}`` or, for chat and
# reactions, ``{code, retry_after_ms}``), and the error it becomes. Callers add the message and
# details, which depend on what was asked; the class (and so the code and status) never does.
_ORDER_STATE_REFUSALS = (
    "pending_payment",
    "paid",
    "cancelled",
    "expired",
    "payment_in_progress",
    "refund_due",
    "lock_lost",
    "aborted",
)
# --- lottery drops (issue 14) ---


class DropError(LivebuyError):
    """Base of the refusals of a lottery deal's entries and orders."""

    code = "drop_error"
    http_status = 409


class DealNotFoundError(DropError):
    code = "unknown_deal"
    http_status = 404


class DropClosedError(DropError):
    """The entry window is not open (closed, or not open yet); same code as an order refused
    outside the deal's window."""

    code = "deal_not_active"


class DealNotLotteryError(DropError):
    code = "deal_not_lottery"


class SessionTooNewError(DropError):
    code = "session_too_new"
    http_status = 403


class DealInLotteryError(DropError, OrderLineError):
    """An order for a deal whose lottery runs (window open, or winners and waitlist holding)."""

    code = "deal_in_lottery"
    http_status = 409


SCRIPT_REFUSALS: dict[str, type[LivebuyError]] = {
    "idempotency_conflict": IdempotencyConflictError,
    "out_of_stock": OutOfStockError,
    "deal_not_active": DealNotActiveError,
    "limit_exceeded": LimitExceededError,
    "coupon_rejected": CouponRejectedError,
    "unknown_order": OrderNotFoundError,
    **dict.fromkeys(_ORDER_STATE_REFUSALS, OrderStateError),
    "banned": BannedError,
    "muted": MutedError,
    "slow_mode": SlowModeError,
    "rate_limited": RateLimitedError,
    "unknown_poll": PollNotFoundError,
    "poll_closed": PollClosedError,
    "already_voted": AlreadyVotedError,
    "invalid_option": InvalidOptionError,
    "invalid_program_time": ProgramTimeError,
    "unknown_giveaway": GiveawayNotFoundError,
    "giveaway_closed": GiveawayClosedError,
    "already_entered": AlreadyEnteredError,
    "not_eligible": NotEligibleError,
    "entry_cap": EntryCapError,
    "rain_closed": RainClosedError,
    "rain_empty": RainEmptyError,
    "already_grabbed": AlreadyGrabbedError,
    "grab_cap": GrabCapError,
    "vote_cap": VoteCapError,
    "unknown_auction": AuctionNotFoundError,
    "auction_closed": AuctionClosedError,
    "auction_running": AuctionRunningError,
    "bid_too_low": BidTooLowError,
    "already_leading": AlreadyLeadingError,
    "deal_in_lottery": DealInLotteryError,
    "unknown_deal": DealNotFoundError,
    "session_too_new": SessionTooNewError,
}


def refusal(code: str, message: str, **details: Any) -> LivebuyError:
    """The error for a script's refusal ``code`` (a key of ``SCRIPT_REFUSALS``)."""
    return SCRIPT_REFUSALS[code](message, **details)


# --- graceful drain (issue 15) ---


class DrainingError(LivebuyError):
    """This gateway is shutting down: a new viewer must connect to another one (HTTP 503)."""

    code = "draining"
    http_status = 503


# --- replicas (issue 15, failover) ---


class NotReplicatedError(LivebuyError):
    """The write is done on its master but too few replicas confirmed it in time, so a failover
    could still lose it (HTTP 503, retryable: the same Idempotency-Key finds the order)."""

    code = "not_replicated"
    http_status = 503
