"""A verifiable random draw (commit-reveal), pure: no I/O, no clock, no Redis.

Used by giveaways and (issue 14) lottery drops. The algorithm is specified in ``docs/games.md``
("The draw, exactly") precisely enough to reimplement; in short:

1. At open the server picks a secret 32-byte ``seed`` and publishes ``commitment =
   sha256(seed)`` (hex).
2. At close it publishes the ``seed``, the entry list in canonical form (each entry is non-empty
   UTF-8 text without line breaks; sorted by their UTF-8 bytes; each followed by ``\\n``), its
   ``entries_hash = sha256(canonical bytes)`` and the winners.
3. Winners are the first ``min(count, N)`` positions of a partial Fisher-Yates shuffle of the
   sorted entries; position ``i`` swaps with ``i + r`` where ``r`` is uniform below ``N - i``,
   drawn from ``HMAC-SHA256(seed, entries_hash_bytes || counter_u64_be)`` blocks with rejection
   sampling (no modulo bias).

The seed is chosen before any entry exists and kept secret until the entries are frozen, so
neither the server (committed) nor an entrant (seed unknown) can steer the outcome.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

ALGORITHM = "livebuy-draw-v1"
SEED_BYTES = 32
_U64 = 1 << 64
_HEX64 = r"^[0-9a-f]{64}$"


def new_seed() -> bytes:
    """A fresh secret seed (32 random bytes from the OS's CSPRNG)."""
    return secrets.token_bytes(SEED_BYTES)


def commitment(seed: bytes) -> str:
    """``sha256(seed)`` in lowercase hex: published when the draw opens."""
    return hashlib.sha256(seed).hexdigest()


def canonical_entries(entries: Iterable[str]) -> list[str]:
    """The entries in canonical order (by their UTF-8 bytes).

    Raises:
        ValueError: an entry is empty, holds a line break, or appears twice.
    """
    ordered = sorted(entries, key=lambda entry: entry.encode("utf-8"))
    for index, entry in enumerate(ordered):
        if not entry or "\n" in entry or "\r" in entry:
            raise ValueError(f"entry {entry!r} must be non-empty text without line breaks")
        if index and ordered[index - 1] == entry:
            raise ValueError(f"entry {entry!r} appears twice")
    return ordered


def canonical_bytes(entries: Iterable[str]) -> bytes:
    """The canonical entry list: each entry in canonical order, UTF-8, followed by ``\\n``."""
    return b"".join(entry.encode("utf-8") + b"\n" for entry in canonical_entries(entries))


def entries_hash(entries: Iterable[str]) -> str:
    """``sha256`` of the canonical entry list, lowercase hex (of ``b""`` with no entries)."""
    return hashlib.sha256(canonical_bytes(entries)).hexdigest()


class _Randomness:
    """Uniform integers from the HMAC-SHA256 block stream of (seed, entries hash)."""

    def __init__(self, seed: bytes, entries_digest: bytes) -> None:
        self._seed = seed
        self._digest = entries_digest
        self.counter = 0

    def _next_u64(self) -> int:
        message = self._digest + self.counter.to_bytes(8, "big")
        self.counter += 1
        block = hmac.new(self._seed, message, hashlib.sha256).digest()
        return int.from_bytes(block[:8], "big")

    def below(self, bound: int) -> int:
        """Uniform in ``[0, bound)``: values at or over the largest multiple of ``bound`` under
        2**64 are rejected and the next block is drawn."""
        limit = _U64 - _U64 % bound
        while True:
            value = self._next_u64()
            if value < limit:
                return value % bound


def draw(seed: bytes, entries: Iterable[str], count: int) -> list[str]:
    """The winners, in draw order: ``min(count, N)`` distinct entries.

    Raises:
        ValueError: ``count`` is negative, or an entry is not valid (``canonical_entries``).
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    pool = canonical_entries(entries)
    randomness = _Randomness(seed, bytes.fromhex(entries_hash(pool)))
    for index in range(min(count, len(pool))):
        swap = index + randomness.below(len(pool) - index)
        pool[index], pool[swap] = pool[swap], pool[index]
    return pool[: min(count, len(pool))]


class DrawProof(BaseModel):
    """What a closed draw publishes: everything ``verify`` needs to recompute the winners."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    algorithm: str = ALGORITHM
    commitment: str = Field(pattern=_HEX64, description="sha256(seed), published at open")
    seed: str = Field(pattern=_HEX64, description="the secret seed, revealed at close (hex)")
    entries_hash: str = Field(pattern=_HEX64, description="sha256 of the canonical entry list")
    winner_count: int = Field(ge=0, description="winners asked for")
    entries: list[str] = Field(description="the entry list in canonical order")
    winners: list[str] = Field(description="winners in draw order")

    @classmethod
    def make(cls, seed: bytes, entries: Iterable[str], count: int) -> DrawProof:
        """Draw and wrap the result with its proof."""
        pool = canonical_entries(entries)
        return cls(
            commitment=commitment(seed),
            seed=seed.hex(),
            entries_hash=entries_hash(pool),
            winner_count=count,
            entries=pool,
            winners=draw(seed, pool, count),
        )


def verify(proof: DrawProof, commitment_seen: str | None = None) -> list[str]:
    """Why ``proof`` does not hold (empty: it does).

    ``commitment_seen`` is the commitment the verifier saw published at open, if they kept it.
    """
    reasons: list[str] = []
    if proof.algorithm != ALGORITHM:
        return [f"unknown algorithm {proof.algorithm!r} (this verifier knows {ALGORITHM!r})"]
    seed = bytes.fromhex(proof.seed)
    if commitment(seed) != proof.commitment:
        reasons.append("sha256(seed) does not match the commitment")
    if commitment_seen is not None and commitment_seen != proof.commitment:
        reasons.append("the commitment differs from the one published at open")
    try:
        pool = canonical_entries(proof.entries)
    except ValueError as error:
        return [*reasons, f"entry list is not valid: {error}"]
    if pool != proof.entries:
        reasons.append("entry list is not in canonical order")
    if entries_hash(pool) != proof.entries_hash:
        reasons.append("sha256 of the canonical entry list does not match entries_hash")
    expected = draw(seed, pool, proof.winner_count)
    if expected != proof.winners:
        reasons.append(
            f"winners differ from the draw: expected {expected}, published {proof.winners}"
        )
    return reasons
