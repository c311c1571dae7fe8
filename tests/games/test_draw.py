"""The commit-reveal draw: published data reproduces the winners; any change is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from livebuy.cli import cli
from livebuy.games.draw import (
    DrawProof,
    canonical_bytes,
    commitment,
    draw,
    entries_hash,
    new_seed,
    verify,
)

ENTRIES = [f"handle{index:03d}" for index in range(50)]
SEED = bytes(range(32))
# Computed once by an independent reimplementation of docs/games.md "The draw, exactly".
KNOWN_WINNERS = ["handle007", "handle046", "handle040"]

entry_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"),
    min_size=1,
    max_size=12,
)


def test_published_proof_reproduces_the_winners() -> None:
    """A fresh draw's proof verifies, and drawing again from it gives the same winners."""
    seed = new_seed()
    proof = DrawProof.make(seed, reversed(ENTRIES), 5)
    assert verify(proof) == []
    assert proof.commitment == commitment(seed)
    assert draw(bytes.fromhex(proof.seed), proof.entries, 5) == proof.winners
    assert proof.entries == sorted(ENTRIES)


def test_canonical_form_is_sorted_utf8_lines() -> None:
    """The canonical list is the entries sorted by UTF-8 bytes, each ending in a newline."""
    assert canonical_bytes(["b", "a", "é", "Z"]) == "Z\na\nb\né\n".encode()
    assert entries_hash([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_known_answer() -> None:
    """The algorithm is pinned: a fixed seed and list give these winners (reimplementations check)."""
    assert draw(SEED, ENTRIES, 3) == draw(SEED, list(reversed(ENTRIES)), 3)
    assert draw(SEED, ENTRIES, 3) == KNOWN_WINNERS


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"entries": sorted([*ENTRIES[:-1], "intruder"])}, "entries_hash"),
        ({"seed": "00" * 32}, "commitment"),
        ({"winners": ["handle000"]}, "winners differ"),
        ({"entries": sorted(ENTRIES, reverse=True)}, "canonical order"),
    ],
)
def test_changed_proof_fails(change: dict[str, object], reason: str) -> None:
    """A changed entry list, seed or winner list does not verify, with a reason naming it."""
    proof = DrawProof.make(SEED, ENTRIES, 5)
    tampered = proof.model_copy(update=change)
    reasons = verify(tampered)
    assert any(reason in text for text in reasons), reasons


def test_changed_entry_list_with_matching_hash_changes_the_winners() -> None:
    """Swapping one entry (and recomputing its hash honestly) gives different published winners."""
    proof = DrawProof.make(SEED, ENTRIES, 10)
    entries = sorted([*ENTRIES[1:], "newcomer"])
    tampered = proof.model_copy(update={"entries": entries, "entries_hash": entries_hash(entries)})
    assert any("winners differ" in text for text in verify(tampered))


@settings(max_examples=100, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    entries=st.sets(entry_text, max_size=60),
    count=st.integers(min_value=0, max_value=80),
)
def test_winners_are_distinct_entries(seed: bytes, entries: set[str], count: int) -> None:
    """Winners are distinct, a subset of the entries, and exactly min(count, entries) of them."""
    winners = draw(seed, entries, count)
    assert len(winners) == len(set(winners)) == min(count, len(entries))
    assert set(winners) <= entries
    assert verify(DrawProof.make(seed, entries, count)) == []


def test_verify_draw_command(tmp_path: Path) -> None:
    """`livebuy verify-draw` prints OK (exit 0) for the published data, MISMATCH (exit 1) otherwise."""
    runner = CliRunner()
    proof = DrawProof.make(SEED, ENTRIES, 4)
    document = {"commitment": proof.commitment, "proof": proof.model_dump(mode="json")}
    good = tmp_path / "good.json"
    good.write_text(json.dumps(document))
    result = runner.invoke(cli, ["verify-draw", str(good)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK")

    document["proof"]["winners"] = list(reversed(proof.winners))  # type: ignore[index]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    result = runner.invoke(cli, ["verify-draw", str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith("MISMATCH")

    result = runner.invoke(cli, ["verify-draw", str(good), "--commitment", "ab" * 32])
    assert result.exit_code == 1
    assert "published at open" in result.output

    result = runner.invoke(cli, ["verify-draw", str(tmp_path / "missing.json")])
    assert result.exit_code == 1
    assert "cannot read" in result.output
