"""Every Redis key livebuy uses, built in one place so a newcomer can see the whole keyspace.

Keys of one show share the hash tag ``{show:<id>}`` so a show's Lua scripts stay valid on a cluster.
"""

from __future__ import annotations

PREFIX = "lb"


def catalog_product(product_id: str) -> str:
    """JSON document of one product (without live stock)."""
    return f"{PREFIX}:catalog:product:{product_id}"


def catalog_index() -> str:
    """Sorted set of product ids, scored by catalog position (drives pagination)."""
    return f"{PREFIX}:catalog:products"


def inventory(sku: str) -> str:
    """Hash of one SKU's stock counters: available, reserved, sold, initial, restocked."""
    return f"{PREFIX}:inventory:{sku}"


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
