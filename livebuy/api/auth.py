"""Bearer tokens: the producer's (compared in constant time) and the schemes both tokens use.

The schemes are FastAPI security dependencies, so the code that reads the ``Authorization`` header
is also what declares the scheme on each operation of the OpenAPI document. They never answer on
their own (``auto_error=False``): livebuy's errors say what is missing, in the JSON error body.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from livebuy.api.deps import SettingsDep
from livebuy.errors import ForbiddenError, UnauthorizedError

producer_bearer = HTTPBearer(
    scheme_name="producerToken",
    description="The producer token (`LIVEBUY_PRODUCER_TOKEN`); staff and the console use it.",
    auto_error=False,
)
session_bearer = HTTPBearer(
    scheme_name="sessionToken",
    description="A viewer's session token, as issued by `POST /api/sessions`.",
    auto_error=False,
)
BearerCredentials = HTTPAuthorizationCredentials | None


async def require_producer(
    settings: SettingsDep, credentials: Annotated[BearerCredentials, Depends(producer_bearer)]
) -> None:
    """Let the request through only with ``Authorization: Bearer <producer token>``.

    Raises:
        UnauthorizedError: no bearer token (401).
        ForbiddenError: a wrong token (403).
    """
    if credentials is None:
        raise UnauthorizedError("producer bearer token required")
    expected = settings.security.producer_token.get_secret_value()
    if not secrets.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise ForbiddenError("wrong producer token")


ProducerDep = Annotated[None, Depends(require_producer)]
