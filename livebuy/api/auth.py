"""Producer authentication: a bearer token compared in constant time."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request

from livebuy.api.deps import SettingsDep
from livebuy.errors import ForbiddenError, UnauthorizedError


def require_producer(request: Request, settings: SettingsDep) -> None:
    """Let the request through only with ``Authorization: Bearer <producer token>``.

    Raises:
        UnauthorizedError: no bearer token (401).
        ForbiddenError: a wrong token (403).
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise UnauthorizedError("producer bearer token required")
    expected = settings.security.producer_token.get_secret_value()
    if not secrets.compare_digest(token.encode(), expected.encode()):
        raise ForbiddenError("wrong producer token")


ProducerDep = Annotated[None, Depends(require_producer)]
