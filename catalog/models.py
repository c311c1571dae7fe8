"""Catalog models: what a product is, and the card (product + live stock) viewers see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

NonEmptyStr = Annotated[str, Field(min_length=1)]


class Money(BaseModel):
    """An amount in minor units (cents) of an ISO 4217 currency; integers avoid rounding drift."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: int = Field(ge=0, description="minor units, e.g. 12900 for EUR 129.00")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR")


class ProductImage(BaseModel):
    """One picture of a product, with the text shown when it cannot be displayed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: NonEmptyStr
    alt: NonEmptyStr


class Variant(BaseModel):
    """A sellable SKU of a product; ``stock`` is the quantity loaded before the show."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str = Field(pattern=r"^[A-Z0-9-]{3,40}$")
    size: str | None = None
    color: str | None = None
    stock: int = Field(ge=0)
    price: Money | None = Field(None, description="overrides the product price for this SKU")


class Product(BaseModel):
    """A catalog product with its variants and images (no live stock: see ``ProductCard``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]{2,60}$")
    name: NonEmptyStr
    brand: NonEmptyStr
    description: NonEmptyStr
    category: NonEmptyStr
    price: Money
    variants: list[Variant] = Field(min_length=1)
    images: list[ProductImage] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_variants(self) -> Product:
        seen: set[str] = set()
        for variant in self.variants:
            if variant.sku in seen:
                raise ValueError(f"duplicate sku {variant.sku!r} in product {self.id!r}")
            seen.add(variant.sku)
            # A cart mixes SKUs of one product; a second currency would make its total meaningless.
            if variant.price is not None and variant.price.currency != self.price.currency:
                raise ValueError(
                    f"variant {variant.sku!r} is priced in {variant.price.currency}, "
                    f"product {self.id!r} in {self.price.currency}"
                )
        return self

    def variant(self, sku: str) -> Variant | None:
        """The variant with this SKU, or ``None`` if the product has none."""
        return next((v for v in self.variants if v.sku == sku), None)


class VariantStock(BaseModel):
    """Live counters of one SKU, read from its inventory hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str
    available: int
    reserved: int
    sold: int


class ProductCard(Product):
    """The full product card pushed to viewers: the product plus live stock per variant.

    ``available`` is a plain field rather than a computed one so a card survives a JSON round
    trip under ``extra="forbid"``; ``build`` fills it in and validation keeps it honest.
    """

    stock: list[VariantStock]
    available: int = Field(description="sum of the variants' available stock")

    @model_validator(mode="after")
    def _check_stock(self) -> ProductCard:
        if [s.sku for s in self.stock] != [v.sku for v in self.variants]:
            raise ValueError(f"stock of {self.id!r} must list its variants' SKUs in order")
        total = sum(s.available for s in self.stock)
        if self.available != total:
            raise ValueError(f"available is {self.available}, stock sums to {total}")
        return self

    @classmethod
    def build(cls, product: Product, stock: Sequence[VariantStock]) -> ProductCard:
        """The card of ``product`` with ``stock`` (one entry per variant, in variant order)."""
        return cls(**dict(product), stock=list(stock), available=sum(s.available for s in stock))
