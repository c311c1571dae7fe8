"""Live auctions: a cue opens one, bids are one Lua step each, an elected loop closes and settles."""
