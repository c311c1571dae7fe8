"""Guest viewer sessions: a signed token and a display name, no password."""
