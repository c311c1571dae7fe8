"""The livebuy error tree. Services raise these; the edges map them to HTTP or websocket.

LivebuyError                      code            HTTP  websocket
├── NotFoundError                 not_found       404   error frame
│   ├── ProductNotFoundError      unknown_product 404
│   └── ShowNotFoundError         unknown_show    404   close 4404
├── InvalidInputError             invalid_input   422   error frame
│   └── RunSheetError             invalid_run_sheet 422
├── UnauthorizedError             unauthorized    401   close 4401
└── ForbiddenError                forbidden       403   close 1008
"""

from __future__ import annotations

from typing import Any, ClassVar


class LivebuyError(Exception):
    """Base of every error livebuy raises on purpose; carries a stable machine-readable code."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        """Body shared by HTTP error responses and websocket error frames."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        body.update(self.details)
        return body


class NotFoundError(LivebuyError):
    code = "not_found"
    http_status = 404


class ProductNotFoundError(NotFoundError):
    code = "unknown_product"


class ShowNotFoundError(NotFoundError):
    code = "unknown_show"


class InvalidInputError(LivebuyError):
    code = "invalid_input"
    http_status = 422


class RunSheetError(InvalidInputError):
    code = "invalid_run_sheet"


class UnauthorizedError(LivebuyError):
    code = "unauthorized"
    http_status = 401


class ForbiddenError(LivebuyError):
    code = "forbidden"
    http_status = 403
