"""A/B tests of the product card: sticky assignment, exposures and conversions per variant.

An experiment (``CardExperiment`` in the show's run sheet) tests the card of one product. Each
viewer **session** gets one variant, computed, not stored: ``assign`` hashes the experiment id
and the session id (FNV-1a 32-bit over the UTF-8 of ``"<experiment id>:<session id>"``, then
MurmurHash3's 32-bit finaliser so every input bit moves the high bits) and maps the 32-bit
value ``h`` onto the variants in equal shares: variant ``floor(h * n / 2**32)``. The viewer page
computes the same (``web/static/experiments.js``) to draw the card; the server recomputes it
from the socket's session and never trusts the page's claim.

Exposure is counted when the page reveals the card (the ``card_seen`` frame of a session);
conversions (added to bag, paid) are counted for exposed sessions only, once per session and
step, under the variant the session was exposed to. Counts are exact: a hash of the exposed
sessions (``experiment_exposures``, ~100 bytes per exposed session and experiment) and one of
counters (``experiment_counts``), both under the show's hash tag.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript, variadic
from livebuy.shows.models import CardExperiment, CardVariant, ShowDefinition

FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193
MASK_32 = 0xFFFFFFFF
# The counters per variant, in report order.
COUNTERS = ("exposed", "mismatched", "bagged", "paid")
CONVERSION_STEPS = ("bagged", "paid")


def _fmix32(value: int) -> int:
    value ^= value >> 16
    value = (value * 0x85EBCA6B) & MASK_32
    value ^= value >> 13
    value = (value * 0xC2B2AE35) & MASK_32
    return value ^ (value >> 16)


def assignment_hash(experiment_id: str, session_id: str) -> int:
    """The 32-bit hash that places a session in an experiment (module docstring)."""
    value = FNV_OFFSET
    for byte in f"{experiment_id}:{session_id}".encode():
        value = ((value ^ byte) * FNV_PRIME) & MASK_32
    return _fmix32(value)


def assign(experiment: CardExperiment, session_id: str) -> CardVariant:
    """The variant ``session_id`` sees in ``experiment``: always the same one."""
    share = assignment_hash(experiment.id, session_id) * len(experiment.variants) >> 32
    return experiment.variants[share]


@dataclass(frozen=True)
class ExposeKeys:
    """KEYS of ``experiment_expose.lua``."""

    exposures: str
    counts: str


@dataclass(frozen=True)
class ExposeArgs:
    """ARGV of ``experiment_expose.lua``."""

    experiment_id: str
    session: str
    variant: str
    claimed: str
    ttl_ms: int


@dataclass(frozen=True)
class ConvertArgs:
    """ARGV of ``experiment_convert.lua``: the step and session, then the experiments' ids."""

    step: str
    session: str
    ttl_ms: int
    experiment_ids: tuple[str, ...] = variadic()


EXPERIMENT_EXPOSE = LuaScript("livebuy.analytics", "experiment_expose", ExposeKeys, ExposeArgs)
EXPERIMENT_CONVERT = LuaScript("livebuy.analytics", "experiment_convert", ExposeKeys, ConvertArgs)


def experiment_of(show: ShowDefinition, product_id: str) -> CardExperiment | None:
    """The show's experiment on ``product_id``'s card, if it runs one."""
    return next((e for e in show.experiments if e.product_id == product_id), None)


def experiments_of(show: ShowDefinition, product_ids: Iterable[str]) -> list[CardExperiment]:
    """The show's experiments on any of ``product_ids``."""
    wanted = set(product_ids)
    return [experiment for experiment in show.experiments if experiment.product_id in wanted]


def counts_keys(show_id: str) -> ExposeKeys:
    """The two keys both scripts touch (one hash tag: the show's)."""
    return ExposeKeys(keys.experiment_exposures(show_id), keys.experiment_counts(show_id))
