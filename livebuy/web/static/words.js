"use strict";
// Words, not codes: every error code the API and the show socket can answer, as one sentence a
// viewer understands. The server's `message` is for developers; a viewer only ever sees these.
// tests/browser/test_layout.py checks this table names every code of livebuy/errors.py.
window.livebuyWords = (() => {
  const SENTENCES = {
    // livebuy/errors.py
    error: "Something went wrong. Please try again.",
    not_found: "We could not find that any more.",
    unknown_product: "This product is no longer available.",
    unknown_show: "This show does not exist any more.",
    invalid_input: "Something in the form is not right: please check it and try again.",
    invalid_run_sheet: "The show's run sheet has a mistake.",
    unauthorized: "Your session ended: please try again.",
    forbidden: "You are not allowed to do that.",
    commerce_error: "The shop could not do that. Please try again.",
    unknown_sku: "This size or colour is no longer sold.",
    unknown_order: "We could not find that order.",
    idempotency_key_required: "The shop could not tell this order apart: please try again.",
    idempotency_conflict: "This order was already sent with different items: please start again.",
    idempotency_in_progress: "Your order is still being placed: wait a moment, then look in your orders.",
    aborted: "This order was stopped before it was placed: nothing was charged, please try again.",
    not_replicated: "Your order is saved but not yet confirmed: look in your orders in a moment.",
    empty_cart: "Your bag is empty.",
    out_of_stock: "This size just sold out.",
    deal_not_active: "The flash deal has ended; the regular price applies again.",
    limit_exceeded: "You already have as many as the flash deal allows.",
    coupon_rejected: "This coupon cannot be used for this order.",
    invalid_order_state: "This order cannot be changed any more.",
    payment_declined: "Your card was declined. Nothing was charged: try another card.",
    payment_timeout: "Your bank did not answer in time. Nothing was charged: try again.",
    chat_error: "Your message could not be sent.",
    invalid_text: "This message cannot be sent: it is empty, too long or contains blocked words.",
    unknown_reaction: "That reaction is not available.",
    rate_limited: "You are going a little fast: wait a moment and try again.",
    draining: "This server is restarting: reconnecting you to another one.",
    game_rate_limited: "You are tapping faster than anyone could: wait a moment, then play again.",
    slow_mode: "Slow mode is on: wait a few seconds before your next message.",
    muted: "You are muted for a while: you can still watch and shop.",
    banned: "You can no longer chat in this show.",
    unknown_message: "That message is gone.",
    // Polls and quizzes, replay, the producer's funnel.
    poll_error: "Your vote could not be counted. Please try again.",
    unknown_poll: "This poll is no longer running.",
    already_voted: "You have already voted in this poll.",
    poll_closed: "Voting has closed.",
    invalid_option: "That answer is not one of the choices.",
    invalid_program_time: "Your video is out of step with the show: reload the page and vote again.",
    poll_not_final: "The result is not in yet.",
    vote_cap: "Too many votes from your network in this poll.",
    unknown_cue: "That product card is no longer on stage.",
    unknown_replay: "This replay is not available any more.",
    game_error: "That did not work this time. Please try again.",
    unknown_giveaway: "This giveaway is no longer running.",
    giveaway_closed: "Entries for this giveaway have closed.",
    giveaway_open: "The winners have not been drawn yet.",
    already_entered: "You are already in this giveaway. Good luck!",
    not_eligible: "You cannot enter this giveaway yet: check its rules.",
    entry_cap: "Too many entries from your network for this giveaway.",
    red_packet_error: "The red packet could not be opened. Please try again.",
    unknown_rain: "This red-packet rain is over.",
    rain_closed: "The red-packet rain has ended.",
    rain_empty: "Every red packet has been grabbed. Better luck next time!",
    already_grabbed: "You already caught a red packet in this rain.",
    grab_cap: "Too many viewers on your network grabbed from this rain.",
    auction_error: "Your bid could not be placed. Please try again.",
    unknown_auction: "This auction is no longer running.",
    auction_closed: "The auction has closed: bids after the end do not count.",
    auction_running: "This auction is already running.",
    bid_too_low: "Someone bid more: raise your bid to the next step.",
    already_leading: "You are already the highest bidder.",
    payment_method_required: "Save a card before you bid: the winner is charged when the auction ends.",
    // Lottery drops (a flash deal drawn among the taps of its entry window).
    drop_error: "The draw could not take your entry. Please try again.",
    unknown_deal: "This deal is no longer running.",
    deal_not_lottery: "This deal is first come, first served: add it to your bag instead.",
    session_too_new: "This draw is for viewers who were here when it was announced.",
    deal_in_lottery: "This deal is being drawn: enter the draw instead; any units left go on sale after it.",
    // Refusals of the order scripts (errors.SCRIPT_REFUSALS): the order's state stopped it.
    pending_payment: "This order is still waiting for payment.",
    paid: "This order is already paid.",
    cancelled: "This order was cancelled.",
    expired: "This order expired: its items were put back on sale.",
    payment_in_progress: "A payment for this order is already under way: wait a moment.",
    refund_due: "This order is being refunded.",
    lock_lost: "The order was busy: please try again.",
    // The HTTP edge (livebuy/api/errors.py) and the show socket (livebuy/gateway/endpoint.py).
    malformed_request: "The shop did not understand the request. Please reload the page.",
    method_not_allowed: "The shop did not understand the request. Please reload the page.",
    payload_too_large: "That is too much to send at once.",
    uri_too_long: "The shop did not understand the request. Please reload the page.",
    http_error: "Something went wrong. Please try again.",
    internal_error: "Something went wrong on our side. Please try again in a moment.",
    binary_frame: "The live connection got confused: reconnecting may help.",
    malformed_frame: "The live connection got confused: reconnecting may help.",
    unavailable: "The show is busy right now: trying again shortly.",
    // The page's own: a request that never reached the server (shop.js `send`).
    network: "No connection: check your network and try again.",
  };

  /** The viewer's sentence for an error `code`; `fallback` (or a generic one) when unknown. */
  function sentence(code, fallback = null) {
    if (code && Object.hasOwn(SENTENCES, code)) return SENTENCES[code];
    return fallback || SENTENCES.error;
  }

  return { SENTENCES, sentence };
})();
