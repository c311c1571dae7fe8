"""``POST /api/sessions`` and the dependency that resolves a viewer's bearer session token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from livebuy.api.auth import BearerCredentials, session_bearer
from livebuy.api.deps import ServicesDep, SessionsDep
from livebuy.api.rate_limit import rate_limited
from livebuy.errors import UnauthorizedError
from livebuy.sessions.models import IssuedSession, Session, SessionRequest

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


@router.post("", status_code=201, dependencies=[Depends(rate_limited("sessions"))])
async def create_session(
    sessions: SessionsDep, body: SessionRequest | None = None
) -> IssuedSession:
    """A guest session: signed token, public handle and display name (chosen or generated).

    Limited per client IP (429 ``rate_limited`` with ``Retry-After``).
    """
    return await sessions.create(body.display_name if body else None)


async def current_session(
    services: ServicesDep, credentials: Annotated[BearerCredentials, Depends(session_bearer)]
) -> Session:
    """The session named by ``Authorization: Bearer <session token>``.

    Raises:
        UnauthorizedError: no token, a bad one, or an expired session (401).
    """
    if credentials is None:
        raise UnauthorizedError("session token required: POST /api/sessions first")
    return await services.sessions.authenticate(credentials.credentials)


SessionDep = Annotated[Session, Depends(current_session)]
