"""Commerce models at the HTTP edge and between the services."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from catalog.models import Money

Sku = Annotated[str, Field(pattern=r"^[A-Z0-9-]{3,40}$")]
ProductId = Annotated[str, Field(pattern=r"^[a-z0-9-]{2,60}$")]
ShowId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
COUPON_CODE_PATTERN = r"^[A-Z0-9_-]{2,40}$"
CouponCode = Annotated[str, Field(pattern=COUPON_CODE_PATTERN)]
OrderStatus = Literal["pending_payment", "paid", "cancelled", "expired"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CartQuantity(_Strict):
    """Body of ``PUT /api/cart/items/{sku}``; the quantity bound is checked against the settings."""

    quantity: int = Field(ge=1, le=1000)
    show_id: str | None = Field(
        None,
        max_length=200,
        description="the show the viewer adds from: counted in the show's funnel (unknown: 404)",
    )


class CartLine(_Strict):
    """One cart line priced as it is now: the deal price while a deal for the product runs."""

    sku: str
    product_id: str
    name: str
    quantity: int
    unit_price: Money
    regular_price: Money
    available: int
    show_id: str | None = None
    deal_id: str | None = None


class Cart(_Strict):
    """A customer's cart; ``total`` is in the lines' currency (``None`` when empty)."""

    items: list[CartLine]
    total: Money | None


class Favorites(_Strict):
    """A customer's favorite product ids, oldest first."""

    product_ids: list[str]


def _order_request_schema(schema: dict[str, Any]) -> None:
    """State ``_one_source`` in the JSON Schema, so schema-valid bodies are the accepted ones.

    Optional fields are documented as "omit" rather than "null" (the server takes both), and the
    three accepted shapes are an ``anyOf``: buy now, buy now in a deal (with its show), from cart.
    """
    properties = schema["properties"]
    for name in ("sku", "show_id", "deal_id", "coupon"):
        (present,) = [choice for choice in properties[name]["anyOf"] if choice["type"] != "null"]
        properties[name] = present
    absent: dict[str, Any] = {"not": {}}
    schema["anyOf"] = [
        {"required": ["sku"], "properties": {"from_cart": {"const": False}, "deal_id": absent}},
        {"required": ["sku", "show_id", "deal_id"], "properties": {"from_cart": {"const": False}}},
        {
            "required": ["from_cart"],
            "properties": {"from_cart": {"const": True}, "sku": absent, "deal_id": absent},
        },
    ]


class OrderRequest(_Strict):
    """Body of ``POST /api/orders``: one line (buy now) or ``from_cart``.

    ``show_id`` alone attributes the order to the show it was bought from (the producer's
    dashboard counts it); a deal needs its show.
    """

    model_config = ConfigDict(json_schema_extra=_order_request_schema)

    sku: Sku | None = None
    quantity: int = Field(1, ge=1, le=1000)
    from_cart: bool = False
    show_id: ShowId | None = None
    deal_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")] | None = None
    coupon: CouponCode | None = None
    use_credit: bool = Field(
        False,
        description="let the viewer's store credit pay what it can of the total (the card pays "
        "the rest); expired credit is never spent, the soonest-expiring first",
    )

    @model_validator(mode="after")
    def _one_source(self) -> OrderRequest:
        if (self.sku is None) == (not self.from_cart):
            raise ValueError("give either sku (buy now) or from_cart: true")
        if self.deal_id is not None and self.show_id is None:
            raise ValueError("deal_id needs the show_id the deal runs in")
        return self


class OrderLine(_Strict):
    """A line as ordered, at the price it was reserved for."""

    sku: str
    product_id: str
    name: str
    quantity: int
    unit_price: Money
    deal_id: str | None = None


class Order(_Strict):
    """An order as its customer sees it."""

    id: str
    status: OrderStatus
    lines: list[OrderLine]
    subtotal: Money
    discount: Money
    total: Money
    credit_used: Money = Field(description="what the viewer's store credit paid of the total")
    card_amount: Money = Field(description="what the card pays: the total less the credit used")
    coupon: str | None
    show_id: str | None
    deal_id: str | None
    created_at: int
    updated_at: int
    expires_at: int | None = Field(description="when an unpaid reservation lapses")
    paid_at: int | None
    payment_id: str | None
    last_payment_error: str | None
    refund_status: Literal["pending", "refunded"] | None
    refund_id: str | None


class OrderList(_Strict):
    """A customer's orders, newest first."""

    items: list[Order]


class PaymentRequest(_Strict):
    """Body of ``POST /api/orders/{id}/pay`` (demo gateway test cards: see docs/commerce.md)."""

    card_number: str = Field(pattern=r"^[0-9]{12,19}$")
    expiry_month: int = Field(ge=1, le=12)
    expiry_year: int = Field(ge=2000, le=2100)
    cvc: str = Field(pattern=r"^[0-9]{3,4}$")


def _coupon_schema(schema: dict[str, Any]) -> None:
    """State ``_consistent`` in the JSON Schema, except ``ends_at > starts_at`` (which it cannot).

    Optional fields are documented as "omit" rather than "null" (the server takes both).
    """
    properties = schema["properties"]
    for name in ("currency", "ends_at", "max_uses", "per_customer"):
        (present,) = [choice for choice in properties[name]["anyOf"] if choice["type"] != "null"]
        properties[name] = present
    schema["anyOf"] = [
        {"properties": {"kind": {"const": "percent"}, "value": {"maximum": 100}}},
        {"required": ["currency"], "properties": {"kind": {"const": "amount"}}},
    ]
    schema["description"] += " ``ends_at``, when given, must be after ``starts_at``."


class Coupon(_Strict):
    """A coupon's terms: percent or amount off, minimum spend, window and usage limits."""

    model_config = ConfigDict(json_schema_extra=_coupon_schema)

    code: CouponCode
    kind: Literal["percent", "amount"]
    value: int = Field(gt=0, description="percent (1-100) or minor units off")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="required for amount")
    min_spend: int = Field(0, ge=0, description="minimum subtotal in minor units")
    starts_at: int = Field(0, ge=0)
    ends_at: int | None = Field(None, ge=0)
    max_uses: int | None = Field(None, ge=1)
    per_customer: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Coupon:
        if self.kind == "percent" and self.value > 100:
            raise ValueError("a percent coupon takes at most 100")
        if self.kind == "amount" and self.currency is None:
            raise ValueError("an amount coupon needs a currency")
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class StockLevel(_Strict):
    """Counters of one SKU."""

    sku: str
    available: int
    reserved: int
    sold: int
    initial: int
    restocked: int
