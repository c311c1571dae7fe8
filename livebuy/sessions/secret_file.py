"""The demo's own session secret: random, written once per data dir, read on every start."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

# The same floor ``livebuy serve`` enforces on configured secrets.
MIN_SECRET_CHARS = 16


def load_or_create_secret(path: Path) -> str:
    """The secret stored at ``path``; a new random one (file mode 0600) if there is none yet.

    Sessions signed with it survive a restart of the demo, because the next start reads it back.
    """
    with contextlib.suppress(FileNotFoundError):
        stored = path.read_text(encoding="ascii").strip()
        if len(stored) >= MIN_SECRET_CHARS:
            return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    # Written to a private temporary file, then renamed: no other user can ever read it, and a
    # crash mid-write leaves the old file (or none), never a truncated secret.
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secret + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    return secret
