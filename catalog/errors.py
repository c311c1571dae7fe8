"""The catalog's errors, raised by default. An application with its own error tree passes
``CatalogStore`` its own classes instead (livebuy: ``ProductNotFoundError``, ``InvalidInputError``)."""

from __future__ import annotations

from typing import Protocol


class UnknownProductFactory(Protocol):
    """Builds the exception raised for a product id that is not loaded."""

    def __call__(self, message: str, *, product_id: str) -> Exception: ...


class RangeErrorFactory(Protocol):
    """Builds the exception raised for a page outside what the store can address."""

    def __call__(self, message: str, /) -> Exception: ...


class UnknownProductError(LookupError):
    """A product id that is not loaded (the default ``unknown_product``)."""

    def __init__(self, message: str, *, product_id: str) -> None:
        super().__init__(message)
        self.message = message
        self.product_id = product_id


class CatalogRangeError(ValueError):
    """A page outside what Redis can address (callers bound their input well inside it)."""
