"""Pure chat rules: text cleaning, blocked-word masking and flood sampling."""

from __future__ import annotations

import random

import pytest

from livebuy.chat.models import Author, ChatMessage
from livebuy.chat.sampling import ChatSampler
from livebuy.chat.text import clean_text, mask_blocked
from livebuy.errors import ChatTextError
from livebuy.sessions.models import Role


def test_clean_text_trims_and_normalises() -> None:
    """Text is trimmed and NFC-normalised; emoji sequences with joiners are kept."""
    assert clean_text("  Cafe\u0301  ", 300) == "Caf\u00e9"
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467"
    assert clean_text(family, 300) == family
    assert clean_text("<b>bold</b>", 300) == "<b>bold</b>"
    assert clean_text("x" * 300, 300) == "x" * 300


@pytest.mark.parametrize(
    "text", ["", "   ", "x" * 301, "a\x00b", "tab\there", "\u202eevil", "\x7f"]
)
def test_clean_text_rejects(text: str) -> None:
    """Empty, too long, control and bidi-override characters are refused."""
    with pytest.raises(ChatTextError):
        clean_text(text, 300)


def test_mask_blocked_whole_words_any_case() -> None:
    """Blocked words are masked as whole words in any case, not inside other words."""
    assert mask_blocked("Scam! a SCAM, scammer", ["scam"]) == "****! a ****, scammer"
    assert mask_blocked("free money now", ["free money", " "]) == "********** now"
    assert mask_blocked("nothing here", []) == "nothing here"


def _message(index: int, role: Role = "viewer") -> ChatMessage:
    author = Author(handle=f"s{index}", display_name="n", role=role)
    return ChatMessage(id=f"1-{index}", author=author, text=f"t{index}", at=index)


def test_sampler_passes_readable_chat_untouched() -> None:
    """Below the readable rate every message is shown."""
    sampler = ChatSampler(per_s=20, rng=random.Random(1))
    for tick in range(50):
        batch = [_message(tick)]
        assert sampler.sample(batch, tick * 100) == batch


def test_sampler_caps_floods_and_keeps_staff_in_order() -> None:
    """A flood is cut to the readable rate; staff messages always stay; order is kept."""
    sampler = ChatSampler(per_s=20, rng=random.Random(2))
    shown_total = 0
    for tick in range(100):
        batch = [_message(tick * 50 + index) for index in range(50)]
        batch[7] = _message(tick * 50 + 7, role="host")
        shown = sampler.sample(batch, tick * 100)
        assert batch[7] in shown
        assert shown == [message for message in batch if message in shown]
        shown_total += len(shown)
    # 10 s at 20 readable messages a second, plus the first second's burst and the host's 100.
    assert shown_total <= 20 * 10 + 20 + 100
