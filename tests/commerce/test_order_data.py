"""The buy's fast path writes ``order_data`` with orjson: the same bytes as the ``Order`` model."""

from __future__ import annotations

import orjson
import pytest
from pydantic import TypeAdapter

from livebuy.commerce.models import Order
from livebuy.commerce.orders import order_data

_ORDER = TypeAdapter(Order)

PENDING = {
    "id": "o-1",
    "customer": "ann",
    "status": "pending_payment",
    "currency": "EUR",
    "lines": orjson.dumps(
        [
            {
                "sku": "STW-CRT-WHT-40",
                "product_id": "stridewell-court-low",
                "name": 'Court Low — «blanc» 靴 \u2028 "quoted" \\ </script>',
                "quantity": 2,
                "unit_price": 9900,
                "currency": "EUR",
                "deal_id": "flash-1",
            },
            {
                "sku": "TEE-1",
                "product_id": "tee",
                "name": "Tee\tplain",
                "quantity": 1,
                "unit_price": 1500,
                "currency": "EUR",
            },
        ]
    ).decode(),
    "subtotal": "21300",
    "discount": "300",
    "total": "21000",
    "credit_used": "500",
    "card_amount": "20500",
    "coupon": "SPRING",
    "show_id": "spring-runway",
    "deal_id": "flash-1",
    "created_at": "1764400000000",
    "updated_at": "1764400000001",
    "expires_at": "1764400600000",
}


@pytest.mark.parametrize(
    "fields",
    [
        PENDING,
        # A plain buy: no show, coupon, deal or credit (the empty fields the scripts write).
        {**PENDING, "coupon": "", "show_id": "", "deal_id": "", "credit_used": "0"},
        # Written before store credit existed: no credit or card fields at all.
        {k: v for k, v in PENDING.items() if k not in ("credit_used", "card_amount")},
        {**PENDING, "status": "paid", "paid_at": "1764400100000", "payment_id": "pay_1"},
        {
            **PENDING,
            "status": "cancelled",
            "paid_at": "1764400100000",
            "payment_id": "pay_1",
            "refund_status": "refunded",
            "refund_id": "re_1",
            "last_payment_error": "card_declined",
        },
        {**PENDING, "status": "expired", "last_payment_error": "timeout"},
    ],
    ids=["pending", "plain", "before-credit", "paid", "refunded", "expired"],
)
def test_order_data_writes_the_models_bytes(fields: dict[str, str]) -> None:
    """Same bytes as validating into ``Order`` and serialising it, for every status and the
    optional fields absent or empty; and the data is a valid ``Order``."""
    model = Order.model_validate(order_data(fields))
    assert orjson.dumps(order_data(fields)) == _ORDER.dump_json(model, by_alias=True)
