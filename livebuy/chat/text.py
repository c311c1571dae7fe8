"""Chat text rules: trimmed, NFC, 1..max characters, no control characters; blocked words masked.

Text is stored and sent as plain text inside JSON strings; nothing is ever interpreted as HTML,
so clients must insert it as text (``textContent``), never as markup.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from livebuy.errors import ChatTextError

# Bidi overrides and isolates reorder the text around them (spoofing); other format characters
# (zero-width joiners, variation selectors) are part of emoji sequences and stay allowed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(text: str, max_chars: int) -> str:
    """The text as stored: NFC-normalised and trimmed.

    Raises:
        ChatTextError: empty after trimming, longer than ``max_chars``, or control characters.
    """
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise ChatTextError("message is empty", field="text")
    if len(text) > max_chars:
        raise ChatTextError(
            f"message is {len(text)} characters; at most {max_chars} allowed", field="text"
        )
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS:
            raise ChatTextError(f"control character U+{ord(char):04X} is not allowed", field="text")
    return text


def normalise_word(word: str) -> str:
    """A blocked word as stored and compared: NFC, trimmed, lower case."""
    return unicodedata.normalize("NFC", word).strip().lower()


def mask_blocked(text: str, blocked: Iterable[str]) -> str:
    """``text`` with every blocked word (whole word, any case) replaced by asterisks."""
    words = sorted(
        {normalise_word(word) for word in blocked if word.strip()}, key=len, reverse=True
    )
    if not words:
        return text
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)", re.IGNORECASE
    )
    return pattern.sub(lambda match: "*" * len(match.group(0)), text)
