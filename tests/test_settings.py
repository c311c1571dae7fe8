"""Settings: grouped in code, flat ``LIVEBUY_*`` names in the environment, as the README lists."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from livebuy.settings import Settings

README = Path(__file__).parent.parent / "README.md"

# Non-default valid values where the default's type does not say enough.
SPECIAL_VALUES: dict[str, str] = {
    "environment": "staging",
    "host": "0.0.0.0",
    "redis_url": "redis://10.1.2.3:6380/1",
    "video_redis_url": "redis://10.1.2.4:6381/2",
    "data_dir": "/srv/livebuy-data",
    "shows_dir": "/srv/livebuy-shows",
    "producer_token": "producer-token-for-the-test",
    "session_secret": "session-secret-for-the-test",
    "session_secret_previous": "previous-secret-for-the-test",
    "redis_appendfsync": "always",
    "trusted_proxies": '["10.0.0.0/8", "192.0.2.7"]',
}
PARSED_SPECIAL: dict[str, Any] = {"trusted_proxies": ["10.0.0.0/8", "192.0.2.7"]}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ``LIVEBUY_*`` from the caller's shell and no ``.env`` file: defaults are defaults."""
    for name in list(os.environ):
        if name.startswith("LIVEBUY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def _documented_names() -> list[str]:
    """Every ``LIVEBUY_*`` name in the first column of the README's configuration table."""
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: list[str] = []
    for line in section.splitlines():
        if line.startswith("| `LIVEBUY_"):
            names += re.findall(r"`(LIVEBUY_[A-Z0-9_]+)`", line.split("|")[1])
    return names


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Path):
        return str(value)
    return value


def _non_default(field: str, defaults: dict[str, Any]) -> tuple[str, Any]:
    """An environment value for ``field`` that differs from its default, and what it parses to."""
    if field in SPECIAL_VALUES:
        raw = SPECIAL_VALUES[field]
        return raw, PARSED_SPECIAL.get(field, raw)
    default = defaults[field]
    if isinstance(default, bool):
        return str(not default).lower(), not default
    if isinstance(default, int):
        # video_segment_ms must stay a whole number of 25 fps frames.
        step = 40 if field == "video_segment_ms" else 1
        return str(default + step), default + step
    if isinstance(default, float):
        return str(default + 1.5), default + 1.5
    if isinstance(default, list):
        return '["wow", "heart"]', ["wow", "heart"]
    raise AssertionError(f"no test value for {field}: add one to SPECIAL_VALUES")


def _read(settings: Settings, field: str) -> Any:
    groups = [name for name in Settings.model_fields if field in dict(getattr(settings, name))]
    assert len(groups) == 1, f"{field} is in {groups}"
    return _plain(getattr(getattr(settings, groups[0]), field))


def test_readme_lists_only_real_settings() -> None:
    """Every variable the README's table documents is a setting (and the table is not empty)."""
    names = _documented_names()
    flat = Settings().flat()
    assert len(names) > 30
    assert [name for name in names if name.removeprefix("LIVEBUY_").lower() not in flat] == []


@pytest.mark.parametrize("name", _documented_names())
def test_documented_variable_is_read_into_its_field(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each documented ``LIVEBUY_*`` variable, set to a non-default value, lands in its field."""
    field = name.removeprefix("LIVEBUY_").lower()
    raw, expected = _non_default(field, Settings().flat())
    assert _read(Settings(), field) != expected
    monkeypatch.setenv(name, raw)
    assert _read(Settings(), field) == expected


def test_every_field_has_a_flat_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """All fields, documented or not, are read from ``LIVEBUY_<FIELD>`` at once."""
    expected = {}
    defaults = Settings().flat()
    for field in defaults:
        raw, expected[field] = _non_default(field, defaults)
        monkeypatch.setenv(f"LIVEBUY_{field.upper()}", raw)
    settings = Settings()
    assert {field: _read(settings, field) for field in expected} == expected


def test_keywords_are_flat_and_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Settings(name=...)`` takes the flat names and overrides the environment; updated() too."""
    monkeypatch.setenv("LIVEBUY_CHAT_BURST", "7")
    monkeypatch.setenv("LIVEBUY_SEND_QUEUE_FRAMES", "9")
    settings = Settings(send_queue_frames=5)
    assert (settings.chat.chat_burst, settings.gateway.send_queue_frames) == (7, 5)
    moved = settings.updated(port=9100)
    assert (moved.server.port, moved.chat.chat_burst, settings.server.port) == (9100, 7, 8000)
    with pytest.raises(TypeError, match="no such setting: prot"):
        settings.updated(prot=9100)


def test_bad_values_are_refused_under_their_flat_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad variable fails validation naming the flat field, as before the grouping."""
    monkeypatch.setenv("LIVEBUY_TRUSTED_PROXIES", '["not-an-address"]')
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings()
    with pytest.raises(ValueError, match="send_queue_frames"):
        Settings(send_queue_frames=0)
