"""Every Redis key livebuy uses, built in one place so a newcomer can see the whole keyspace.

Keys of one show share the hash tag ``{show:<id>}`` so a show's Lua scripts stay valid on a cluster.
"""

from __future__ import annotations

import zlib

# The catalog's keys (product documents, the index, each SKU's stock hash) are built in
# catalog/keys.py, since the catalog imports nothing from livebuy; listed here with the rest.
from catalog.keys import PREFIX as PREFIX
from catalog.keys import catalog_index as catalog_index
from catalog.keys import catalog_product as catalog_product
from catalog.keys import inventory as inventory
from catalog.keys import stock_bucket as stock_bucket


def shows_index() -> str:
    """Set of every known show id."""
    return f"{PREFIX}:shows"


def _show(show_id: str) -> str:
    return f"{PREFIX}:{{show:{show_id}}}"


def show_definition(show_id: str) -> str:
    """JSON of the show (title, stream start, run sheet)."""
    return f"{_show(show_id)}:definition"


def show_events(show_id: str) -> str:
    """The show's event stream; entry ids are ``0-<seq>``."""
    return f"{_show(show_id)}:events"


def show_seq(show_id: str) -> str:
    """Counter holding the last seq assigned in the show."""
    return f"{_show(show_id)}:seq"


def show_epoch(show_id: str) -> str:
    """Random token that changes whenever the show's history is lost (resume is then refused)."""
    return f"{_show(show_id)}:epoch"


def show_state(show_id: str) -> str:
    """Hash of the show's current state (pins, deals, countdowns, announcement) kept by the append."""
    return f"{_show(show_id)}:state"


def show_published(show_id: str, run_cue_id: str) -> str:
    """Marker that a run-sheet cue of one run was published (at most once, across failovers)."""
    return f"{_show(show_id)}:published:{run_cue_id}"


def show_player_lease(show_id: str) -> str:
    """Lease naming the process that plays the show's run sheet."""
    return f"{_show(show_id)}:player"


def session(session_id: str) -> str:
    """JSON of a guest viewer session."""
    return f"{PREFIX}:session:{session_id}"


# --- commerce: favorites, carts, orders, deals, coupons ---
# A customer's keys share the hash tag of the customer's bucket, ``{c:<bucket>}``, with the
# bucket's share of the order sets (expiries, events, refunds due, charge attempts), so every
# customer-side step of an order is one slot on a cluster (docs/scaling.md). An order id starts
# with its customer's bucket, so its key is built from the id alone.

CUSTOMER_BUCKETS = 16


def customer_bucket(customer_id: str) -> int:
    """The bucket of a customer's keys (fixed: it is part of every key of the customer)."""
    return zlib.crc32(customer_id.encode()) % CUSTOMER_BUCKETS


def order_bucket(order_id: str) -> int:
    """The bucket of an order's keys: its id's first two hex digits (``new_order_id``)."""
    try:
        bucket = int(order_id[:2], 16)
    except ValueError:
        bucket = -1
    if len(order_id) >= 2 and 0 <= bucket < CUSTOMER_BUCKETS:
        return bucket
    # An id livebuy did not make (a test's): still one fixed bucket.
    return zlib.crc32(order_id.encode()) % CUSTOMER_BUCKETS


def order_buckets() -> range:
    """Every bucket, for the readers of the order sets (sweeper, payments worker, funnel)."""
    return range(CUSTOMER_BUCKETS)


def _bucket(bucket: int) -> str:
    return f"{PREFIX}:{{c:{bucket:02x}}}"


def _customer(customer_id: str) -> str:
    return _bucket(customer_bucket(customer_id))


def favorites(customer_id: str) -> str:
    """Sorted set of a customer's favorite product ids, scored by when they were added."""
    return f"{_customer(customer_id)}:favorites:{customer_id}"


def cart(customer_id: str) -> str:
    """Hash of a customer's cart: sku -> quantity."""
    return f"{_customer(customer_id)}:cart:{customer_id}"


def order(order_id: str) -> str:
    """Hash of one order (status, totals, lines JSON, payment), in its customer's bucket."""
    return f"{_bucket(order_bucket(order_id))}:order:{order_id}"


def order_pattern() -> str:
    """SCAN pattern matching every order hash."""
    return f"{PREFIX}:{{c:*}}:order:*"


def customer_orders(customer_id: str) -> str:
    """Sorted set of a customer's order ids, scored by creation time."""
    return f"{_customer(customer_id)}:orders:customer:{customer_id}"


def order_idempotency(customer_id: str, idempotency_key: str) -> str:
    """Hash remembering the order an Idempotency-Key created, with the request body's hash."""
    return f"{_customer(customer_id)}:orders:idempotency:{customer_id}:{idempotency_key}"


def order_expiries(bucket: int) -> str:
    """Sorted set of a bucket's unpaid order ids scored by when their reservation expires."""
    return f"{_bucket(bucket)}:orders:expiries"


def orders_stream(bucket: int) -> str:
    """Stream of every state change of a bucket's orders, for downstream consumers."""
    return f"{_bucket(bucket)}:orders:events"


def stock_dirty(bucket: int) -> str:
    """Set of product ids whose stock changed since the last stock push (a stock bucket's)."""
    return f"{PREFIX}:{{stock:{bucket:02x}}}:stock:dirty"


def stock_push_lease() -> str:
    """Lease naming the process that pushes ``stock`` frames."""
    return f"{PREFIX}:stock:pusher"


def deal_counters(show_id: str, deal_id: str, started_at: int) -> str:
    """Hash of one run of a flash deal: units taken, and units per customer (``c:<id>``)."""
    return f"{_show(show_id)}:deal:{deal_id}:{started_at}"


def coupon(code: str) -> str:
    """Hash of a coupon's terms and its total use count (the coupon's own hash tag)."""
    return f"{PREFIX}:{{coupon:{code}}}"


def coupon_uses(code: str) -> str:
    """Hash of a coupon's uses per customer."""
    return f"{coupon(code)}:uses"


# --- chat and reactions (issue 6) ---


def chat_messages(show_id: str) -> str:
    """Stream of posted chat messages (entry id = message id): batcher backlog and history."""
    return f"{_show(show_id)}:chat:messages"


def chat_cursor(show_id: str) -> str:
    """Id of the last chat message the show's batcher published."""
    return f"{_show(show_id)}:chat:cursor"


def chat_batcher_lease(show_id: str) -> str:
    """Lease naming the process that batches the show's chat and reactions."""
    return f"{_show(show_id)}:chat:batcher"


def chat_bucket(show_id: str, session_id: str) -> str:
    """Hash of one session's chat token bucket in a show: tokens, at."""
    return f"{_show(show_id)}:chat:bucket:{session_id}"


def chat_mute(show_id: str, handle: str) -> str:
    """Present (with a TTL) while the session with this public handle is muted in the show."""
    return f"{_show(show_id)}:chat:mute:{handle}"


def chat_ban(show_id: str, handle: str) -> str:
    """Present (with a TTL) while the session with this handle is banned from chat and reactions."""
    return f"{_show(show_id)}:chat:ban:{handle}"


def chat_slow_mode(show_id: str) -> str:
    """Slow-mode interval in ms (absent: off)."""
    return f"{_show(show_id)}:chat:slow_mode"


def chat_slow_last(show_id: str, session_id: str) -> str:
    """Present while a session must still wait in slow mode (TTL = the wait)."""
    return f"{_show(show_id)}:chat:slow:{session_id}"


def chat_pinned(show_id: str) -> str:
    """JSON of the pinned chat message."""
    return f"{_show(show_id)}:chat:pinned"


def chat_blocked_words(show_id: str) -> str:
    """Set of words masked in the show's chat (besides the configured ones)."""
    return f"{_show(show_id)}:chat:blocked_words"


def moderation_log(show_id: str) -> str:
    """Stream of moderation actions in the show: action, target, by, at, details."""
    return f"{_show(show_id)}:moderation"


def reactions_pending(show_id: str) -> str:
    """Hash kind -> reactions received since the last reactions frame."""
    return f"{_show(show_id)}:reactions:pending"


def reactions_totals(show_id: str) -> str:
    """Hash kind -> reactions received in the show so far."""
    return f"{_show(show_id)}:reactions:totals"


def reaction_rate(show_id: str, session_id: str) -> str:
    """Reactions a session sent in the current one-second window."""
    return f"{_show(show_id)}:reactions:rate:{session_id}"


def analytics_chat_per_minute(show_id: str) -> str:
    """Hash minute start (ms) -> chat messages posted in the show (for analytics)."""
    return f"{_show(show_id)}:analytics:chat_per_minute"


def analytics_reactions_per_minute(show_id: str) -> str:
    """Hash minute start (ms) -> reactions sent in the show (for analytics)."""
    return f"{_show(show_id)}:analytics:reactions_per_minute"


# --- analytics: the producer's live dashboard (console item 3) ---


def analytics_viewers(show_id: str) -> str:
    """Hash process id -> viewers of the show connected to that gateway process (last report)."""
    return f"{_show(show_id)}:analytics:viewers"


def analytics_viewers_seen(show_id: str) -> str:
    """Sorted set of process ids scored by their last viewer report (ms, Redis clock)."""
    return f"{_show(show_id)}:analytics:viewers_seen"


def analytics_viewers_per_minute(show_id: str) -> str:
    """Hash minute start (ms) -> peak viewers of the show across processes in that minute."""
    return f"{_show(show_id)}:analytics:viewers_per_minute"


def analytics_sales(show_id: str) -> str:
    """Hash of the show's paid sales: ``units:/revenue:/orders:/currency:<product>``, ``orders``."""
    return f"{_show(show_id)}:analytics:sales"


# --- live video: one lease-elected encoder per show, segments shared through Redis ---


def video_lease(show_id: str) -> str:
    """Lease electing the one process that runs the show's ffmpeg and publishes its segments."""
    return f"{_show(show_id)}:video:lease"


def video_sequence(show_id: str) -> str:
    """Counter of the last media sequence number published (never reset, so never reused)."""
    return f"{_show(show_id)}:video:sequence"


def video_entries(show_id: str) -> str:
    """List of the latest published segments' JSON entries (number, encoder run, date), oldest first."""
    return f"{_show(show_id)}:video:entries"


def video_segments(show_id: str) -> str:
    """Hash media sequence number -> MPEG-TS bytes of the segments listed in ``video_entries``."""
    return f"{_show(show_id)}:video:segments"


# --- shows: live rehearsal speed (console item 1) ---


def show_timeline(show_id: str) -> str:
    """JSON of the show's timeline segments (rehearsal speed, pause) and their version."""
    return f"{_show(show_id)}:timeline"


# --- security: per-client rate limits ---


def rate_limit(scope: str, client_ip: str) -> str:
    """Hash of one client IP's token bucket for one kind of request (tokens, at)."""
    return f"{PREFIX}:ratelimit:{scope}:{client_ip}"


# --- payments outbox (issue 10 item 3): refunds due, charge attempts, the demo gateway's ledger ---


def refunds_due(bucket: int) -> str:
    """Sorted set of a bucket's order ids whose refund is owed, by the next attempt's time (ms)."""
    return f"{_bucket(bucket)}:orders:refunds_due"


def charge_attempts(bucket: int) -> str:
    """Sorted set of a bucket's order ids being charged, scored by when the charge began (ms)."""
    return f"{_bucket(bucket)}:orders:charge_attempts"


def payments_worker_lease() -> str:
    """Lease naming the process that retries refunds and reconciles charge attempts."""
    return f"{PREFIX}:orders:payments_worker"


def _demo_gateway() -> str:
    # One hash tag: the demo provider's ledger is one slot, so its scripts run on a cluster.
    return f"{PREFIX}:{{demo-gateway}}"


def demo_gateway_charge(idempotency_key: str) -> str:
    """The payment id a demo charge with this idempotency key made (present once charged)."""
    return f"{_demo_gateway()}:charge:{idempotency_key}"


def demo_gateway_payment(payment_id: str) -> str:
    """Hash of one demo payment: amount, currency, idempotency key, refund id, failures left."""
    return f"{_demo_gateway()}:payment:{payment_id}"


def demo_gateway_refund(idempotency_key: str) -> str:
    """Hash of the demo refund made with this idempotency key: refund id, payment id."""
    return f"{_demo_gateway()}:refund:{idempotency_key}"


def demo_gateway_log() -> str:
    """List of every demo charge and refund that moved money (audit trail the tests count)."""
    return f"{_demo_gateway()}:log"


# --- gateway recovery (issue 10) ---


def content_loaded() -> str:
    """Marker set once the catalog and run sheets are loaded; gone means Redis lost its data."""
    return f"{PREFIX}:content:loaded"


# --- shoppable replay (#12): each run of a show recorded for replay ---


def replay_lease(show_id: str) -> str:
    """Lease electing the one process that records the show's replay."""
    return f"{_show(show_id)}:replay:lease"


def replay_recorder(show_id: str) -> str:
    """JSON of the recorder's position: last seq recorded, its run and the state after it."""
    return f"{_show(show_id)}:replay:recorder"


def replay_runs(show_id: str) -> str:
    """Sorted set of the recorded runs (member: run number, score: its start in wall ms)."""
    return f"{_show(show_id)}:replay:runs"


def replay_timeline(show_id: str, run: int) -> str:
    """Sorted set of a run's cue, chat and reaction entries (JSON), scored by program time."""
    return f"{_show(show_id)}:replay:{run}:timeline"


def replay_changes(show_id: str, run: int) -> str:
    """Sorted set of a run's state changes (seq, at, state ops), scored by program time."""
    return f"{_show(show_id)}:replay:{run}:changes"


def replay_checkpoints(show_id: str, run: int) -> str:
    """Sorted set of a run's state checkpoints (seq, state hash), scored by program time."""
    return f"{_show(show_id)}:replay:{run}:checkpoints"


def replay_video_last(show_id: str) -> str:
    """Media sequence number of the last live segment copied into a run's recording."""
    return f"{_show(show_id)}:replay:video:last"


def replay_video_entries(show_id: str, run: int) -> str:
    """List of a run's recorded segments (JSON like ``video_entries``), oldest first."""
    return f"{_show(show_id)}:replay:{run}:video:entries"


def replay_video_segments(show_id: str, run: int) -> str:
    """Hash media sequence number -> MPEG-TS bytes of a run's recorded segments."""
    return f"{_show(show_id)}:replay:{run}:video:segments"


# --- polls and quizzes ---


def poll_counts(show_id: str, poll_id: str, opened_at: int) -> str:
    """Hash of one run of a poll: votes per option (``0``..``4``), ``total``, ``final`` once closed.

    Keyed by the open time, like deal counters: a looping show's poll starts afresh each run.
    """
    return f"{_show(show_id)}:poll:{poll_id}:{opened_at}:counts"


def poll_voters(show_id: str, poll_id: str, opened_at: int) -> str:
    """Hash of one run of a poll: session id -> the option it voted (one vote per session)."""
    return f"{_show(show_id)}:poll:{poll_id}:{opened_at}:voters"


def poll_correct(show_id: str, poll_id: str, opened_at: int) -> str:
    """Set of the sessions that answered one run of a quiz correctly (its prize winners)."""
    return f"{_show(show_id)}:poll:{poll_id}:{opened_at}:correct"


def poll_lease(show_id: str) -> str:
    """Lease naming the process that pushes a show's poll results and closes its polls."""
    return f"{_show(show_id)}:polls-lease"


# --- console: sales velocity and the per-product funnel (issue 12) ---


def analytics_sales_recent(show_id: str) -> str:
    """Sorted set of the show's recent paid units: ``<order>|<product>|<units>`` by paid time (ms)."""
    return f"{_show(show_id)}:analytics:sales_recent"


def sales_velocity_lease(show_id: str) -> str:
    """Lease electing the one process that pushes the show's ``sales_velocity`` frames."""
    return f"{_show(show_id)}:sales_velocity:lease"


def funnel_products(show_id: str) -> str:
    """Set of the products the show's funnel has counted a card view or an add to bag of."""
    return f"{_show(show_id)}:funnel:products"


def funnel_seen(show_id: str, product_id: str) -> str:
    """HyperLogLog of ``<viewer>|<cue>`` pairs the product's card was revealed to."""
    return f"{_show(show_id)}:funnel:seen:{product_id}"


def funnel_added(show_id: str, product_id: str) -> str:
    """HyperLogLog of the sessions that added the product to their bag from the show."""
    return f"{_show(show_id)}:funnel:added:{product_id}"


# --- giveaways (issue 13): per-show game state under the show's hash tag ---


def giveaway(show_id: str, giveaway_id: str) -> str:
    """Hash of one giveaway: terms, status, secret seed, and after the draw its results."""
    return f"{_show(show_id)}:giveaway:{giveaway_id}"


def giveaway_entries(show_id: str, giveaway_id: str) -> str:
    """Hash session id -> public handle of the giveaway's entrants (one entry per session)."""
    return f"{_show(show_id)}:giveaway:{giveaway_id}:entries"


def giveaway_ips(show_id: str, giveaway_id: str) -> str:
    """Hash client IP -> entries of the giveaway from that IP (the per-IP cap)."""
    return f"{_show(show_id)}:giveaway:{giveaway_id}:ips"


def show_giveaways(show_id: str) -> str:
    """Sorted set of the show's giveaway ids by opening time (for the join snapshot)."""
    return f"{_show(show_id)}:giveaways"


def show_presence(show_id: str) -> str:
    """Sorted set session id -> last time (ms) the session's websocket to the show was heard."""
    return f"{_show(show_id)}:presence"


def show_chatters(show_id: str) -> str:
    """Set of session ids that posted chat in the show (giveaway eligibility)."""
    return f"{_show(show_id)}:chatters"


def giveaways_due() -> str:
    """Sorted set ``show_id|giveaway_id`` -> close time (ms) of every open giveaway."""
    return f"{PREFIX}:giveaways:due"


def giveaways_lease() -> str:
    """Lease naming the process that closes giveaways and pushes their entry counts."""
    return f"{PREFIX}:giveaways:lease"


# --- wallet (issue 13): store credit per session ---
# In the session's customer bucket (its hash tag), so the wallet's own scripts and the order
# steps that spend and return credit each run in one slot (docs/scaling.md).


def _wallet(session_id: str) -> str:
    return f"{_customer(session_id)}:wallet:{session_id}"


def wallet_lots(session_id: str) -> str:
    """Hash lot id -> JSON of one credit lot (currency, amount left, expiry, source, ref)."""
    return f"{_wallet(session_id)}:lots"


def wallet_expiries(session_id: str) -> str:
    """Sorted set of the wallet's lot ids scored by when they expire (ms)."""
    return f"{_wallet(session_id)}:expiries"


def wallet_ledger(session_id: str) -> str:
    """List of the wallet's ledger entries (JSON), newest first."""
    return f"{_wallet(session_id)}:ledger"


def wallet_refs(session_id: str) -> str:
    """Set of ``source:ref`` already credited (a retried credit pays once)."""
    return f"{_wallet(session_id)}:refs"


def wallet_coupons(session_id: str) -> str:
    """Sorted set of coupon codes the session won, scored by when (coupons keep no owner)."""
    return f"{_wallet(session_id)}:coupons"


# --- red-packet rain (issue 13): per show, so the grab script touches one slot ---


def red_packets_packets(show_id: str, rain_id: str, started_at: int) -> str:
    """List of the packet amounts of one run of a rain not yet grabbed (split when it opened)."""
    return f"{_show(show_id)}:red_packets:{rain_id}:{started_at}:packets"


def red_packets_rain(show_id: str, rain_id: str, started_at: int) -> str:
    """Hash of one run of a rain: count, currency, ends_at, granted, granted_amount."""
    return f"{_show(show_id)}:red_packets:{rain_id}:{started_at}"


def red_packets_grabs(show_id: str, rain_id: str, started_at: int) -> str:
    """Hash session id -> ``<packet index>:<amount>`` of one run of a rain (one per viewer)."""
    return f"{_show(show_id)}:red_packets:{rain_id}:{started_at}:grabs"


def red_packets_outbox(show_id: str) -> str:
    """Sorted set of grants (JSON) not yet credited to a wallet, scored by when granted (ms)."""
    return f"{_show(show_id)}:red_packets:outbox"


def red_packets_lease() -> str:
    """Lease naming the process that publishes rains' counts and settles their credits."""
    return f"{PREFIX}:red_packets:publisher"


# --- auctions (per show: the show's hash tag, so each auction step is one slot) ---


def auction(show_id: str, auction_id: str) -> str:
    """Hash of one auction: config, clock, price, leader and its settling (private fields)."""
    return f"{_show(show_id)}:auction:{auction_id}"


def auction_bidders(show_id: str, auction_id: str) -> str:
    """Hash of an auction's bidders: session id -> JSON ``{max, order, handle, name}``."""
    return f"{_show(show_id)}:auction:{auction_id}:bidders"


def auctions_open(show_id: str) -> str:
    """Sorted set of a show's open auctions scored by ``ends_at`` (the closer's to-do list)."""
    return f"{_show(show_id)}:auctions:open"


def auctions_settling(show_id: str) -> str:
    """Sorted set of a show's closed auctions still settling, scored by their next step's time."""
    return f"{_show(show_id)}:auctions:settling"


def auction_closer_lease() -> str:
    """Lease naming the process that closes and settles auctions."""
    return f"{PREFIX}:auctions:closer"


def payment_method(customer_id: str) -> str:
    """JSON of the card a customer saved for auctions (demo gateway test cards)."""
    return f"{_customer(customer_id)}:payment_method:{customer_id}"


# --- prizes (issue 13): quiz payouts, per show so they live with the run's other keys ---


def poll_payout(show_id: str, poll_id: str, opened_at: int) -> str:
    """Marker that a quiz run's prizes were credited to every winner (set after the credits)."""
    return f"{_show(show_id)}:poll:{poll_id}:{opened_at}:paid"


# --- lottery drops (issue 14): one run of a lottery deal, in the show's slot ---


def drop(show_id: str, deal_id: str, started_at: int) -> str:
    """Hash of a lottery deal's run: window, seed and commitment, status, draw result."""
    return f"{_show(show_id)}:drop:{deal_id}:{started_at}"


def drop_entries(show_id: str, deal_id: str, started_at: int) -> str:
    """Hash of a drop's entries: session id -> handle (the handle is what the draw lists)."""
    return f"{drop(show_id, deal_id, started_at)}:entries"


def drop_choices(show_id: str, deal_id: str, started_at: int) -> str:
    """Hash session id -> the SKU (variant) an entrant asked for, if they named one."""
    return f"{drop(show_id, deal_id, started_at)}:choices"


def drop_order(show_id: str, deal_id: str, started_at: int) -> str:
    """List of session ids in draw order: the winners, then the waitlist."""
    return f"{drop(show_id, deal_id, started_at)}:order"


def drop_ranks(show_id: str, deal_id: str, started_at: int) -> str:
    """Hash session id -> its place in the draw order (absent once drawn: lost)."""
    return f"{drop(show_id, deal_id, started_at)}:ranks"


def drop_holds(show_id: str, deal_id: str, started_at: int) -> str:
    """Sorted set of the sessions holding a unit, scored by when to look at their order next."""
    return f"{drop(show_id, deal_id, started_at)}:holds"


def drop_grants(show_id: str, deal_id: str, started_at: int) -> str:
    """Hash session id -> the reserved order it was given ('' if none could be made)."""
    return f"{drop(show_id, deal_id, started_at)}:grants"


def drops_due() -> str:
    """Sorted set ``show_id|deal_id|started_at`` -> when the drop closer looks at it next."""
    return f"{PREFIX}:drops:due"


def drops_lease() -> str:
    """Lease naming the process that draws lottery deals and moves their waitlists."""
    return f"{PREFIX}:drops:lease"


# --- game fairness (issue 13): per-IP caps, the per-session action bucket, who took part ---


def game_actions_bucket(session_id: str) -> str:
    """Hash of one session's token bucket for game actions (votes, entries, grabs)."""
    return f"{PREFIX}:ratelimit:games:{session_id}"


def poll_ips(show_id: str, poll_id: str, opened_at: int) -> str:
    """Hash of one run of a poll: client IP -> votes from that IP (the per-IP cap)."""
    return f"{_show(show_id)}:poll:{poll_id}:{opened_at}:ips"


def red_packets_ips(show_id: str, rain_id: str, started_at: int) -> str:
    """Hash of one run of a rain: client IP -> viewers who tried to grab from it (the cap)."""
    return f"{_show(show_id)}:red_packets:{rain_id}:{started_at}:ips"


def red_packets_tried(show_id: str, rain_id: str, started_at: int) -> str:
    """Set of the sessions that tried to grab in one run of a rain (the fairness report)."""
    return f"{_show(show_id)}:red_packets:{rain_id}:{started_at}:tried"


# --- post-show report: funnel steps per cue (issue 17) ---
# Every key but the order loop's cursor and lease is under the show's hash tag.


def funnel_step(show_id: str, step: str) -> str:
    """HyperLogLog of the sessions (viewers for ``shown``) that took a funnel step in the show."""
    return f"{_show(show_id)}:funnel:step:{step}"


def funnel_cue_step(show_id: str, cue: str, step: str) -> str:
    """HyperLogLog of the sessions that took a funnel step while ``cue`` was on air."""
    return f"{_show(show_id)}:funnel:cue:{cue}:{step}"


def funnel_cues(show_id: str) -> str:
    """Set of the cues (attribution keys) the show's funnel counted a step under."""
    return f"{_show(show_id)}:funnel:cues"


def funnel_counts(show_id: str) -> str:
    """Hash of order counters: ``<cue>|<counter>`` and ``deal_sales:<id>|<counter>`` -> count."""
    return f"{_show(show_id)}:funnel:counts"


def funnel_orders(show_id: str) -> str:
    """Hash order id -> JSON of its funnel state (cue, status, what paying it counted)."""
    return f"{_show(show_id)}:funnel:orders"


def funnel_watchers(show_id: str) -> str:
    """HyperLogLog of the sessions whose websocket to the show was ever heard (unique viewers)."""
    return f"{_show(show_id)}:funnel:watchers"


def funnel_orders_cursor() -> str:
    """Hash bucket -> id of the last entry of that bucket's orders stream the funnel counted."""
    return f"{PREFIX}:funnel:orders:cursor"


def funnel_orders_lease() -> str:
    """Lease naming the process that counts the orders stream into the shows' funnels."""
    return f"{PREFIX}:funnel:orders:lease"


# --- A/B tests of the product card (issue 17) ---


def experiment_exposures(show_id: str) -> str:
    """Hash: ``<experiment>|<session>`` -> the variant it was shown; ``…|<session>|<step>`` -> 1."""
    return f"{_show(show_id)}:ab:exposures"


def experiment_counts(show_id: str) -> str:
    """Hash of ``<experiment>|<variant>|<counter>`` -> count (exposed, mismatched, bagged, paid)."""
    return f"{_show(show_id)}:ab:counts"


# --- commerce on a cluster (issue 15): an order's holds outside its customer's slot ---


def orders_sync(bucket: int) -> str:
    """Sorted set of a bucket's order ids whose holds may lag their status, by when to look."""
    return f"{_bucket(bucket)}:orders:sync"


def stock_hold(sku: str, order_id: str) -> str:
    """State of one order's hold on a SKU: ``reserved``, ``sold`` or ``released`` (tombstone)."""
    return f"{PREFIX}:{{stock:{stock_bucket(sku):02x}}}:hold:{order_id}:{sku}"


def deal_hold(counters_key: str, order_id: str) -> str:
    """JSON of the units one order took of a deal run (``released``: given back), beside the
    run's counters ``deal_counters(...)`` in the show's slot."""
    return f"{counters_key}:hold:{order_id}"


def coupon_hold(code: str, order_id: str) -> str:
    """The discount one order took with a coupon (``released``: its use given back)."""
    return f"{coupon(code)}:hold:{order_id}"


def sales_counted(show_id: str, order_id: str) -> str:
    """Whether a paid order is ``counted`` in the show's sales (``uncounted``: taken back out)."""
    return f"{_show(show_id)}:analytics:sales:counted:{order_id}"


# --- replicas (issue 15, failover) ---


def replication_marker(bucket: int) -> str:
    """A key written just before ``WAIT`` in a customer bucket's slot (``redis/replication.py``)."""
    return f"{_bucket(bucket)}:replication:marker"
