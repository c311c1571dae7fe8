"""Reads a published draw proof for ``livebuy verify-draw``: from a URL, a file or stdin."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from livebuy.games.draw import DrawProof

# A proof of a giveaway with a million entries is tens of MB; more than this is not a proof.
MAX_PROOF_BYTES = 256 * 1024 * 1024
FETCH_TIMEOUT_S = 30.0


class ProofSourceError(Exception):
    """The source could not be read, or does not hold a draw proof."""


def read_source(source: str) -> bytes:
    """The bytes at ``source``: an ``http(s)://`` URL, ``-`` (stdin) or a file path.

    Raises:
        ProofSourceError: it could not be read.
    """
    try:
        if source.startswith(("http://", "https://")):
            request = urllib.request.Request(source, headers={"Accept": "application/json"})
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:
                body: bytes = response.read(MAX_PROOF_BYTES + 1)
        elif source == "-":
            body = sys.stdin.buffer.read(MAX_PROOF_BYTES + 1)
        else:
            with Path(source).open("rb") as file:
                body = file.read(MAX_PROOF_BYTES + 1)
    except (OSError, ValueError) as error:
        raise ProofSourceError(f"cannot read {source}: {error}") from error
    if len(body) > MAX_PROOF_BYTES:
        raise ProofSourceError(f"{source} is over {MAX_PROOF_BYTES} bytes")
    return body


def parse_proof(body: bytes) -> tuple[DrawProof, str | None]:
    """The proof in ``body``, and the commitment published at open if the document has it.

    ``body`` is either the proof itself, the giveaway document of
    ``GET /api/shows/{show_id}/giveaways/{id}`` or a lottery deal's draw document of
    ``GET /api/shows/{show_id}/deals/{id}/draw`` (both hold it under ``proof``).

    Raises:
        ProofSourceError: not JSON, no proof yet (the draw is still open), or malformed.
    """
    try:
        document: Any = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ProofSourceError(f"not JSON: {error}") from error
    if not isinstance(document, dict):
        raise ProofSourceError("expected a JSON object")
    opened = document.get("commitment") if "proof" in document else None
    if "proof" in document:
        document = document["proof"]
        if document is None:
            raise ProofSourceError("no proof yet: the draw has not closed")
    try:
        proof = DrawProof.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "proof"
        raise ProofSourceError(f"not a draw proof: {where}: {first['msg']}") from error
    return proof, opened if isinstance(opened, str) else None
