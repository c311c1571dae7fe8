"""The keys each customer-slot order script is called with, built from the order's id."""

from __future__ import annotations

import secrets

from livebuy.redis import keys
from livebuy.wallet.scripts import wallet_keys


def new_order_id(customer: str) -> str:
    """A fresh order id: the customer's bucket (two hex digits), then 20 random hex digits."""
    return f"{keys.customer_bucket(customer):02x}{secrets.token_hex(10)}"


def pay_keys(order_id: str) -> list[str]:
    """Keys of ``order_pay.lua`` (all in the order's customer slot)."""
    bucket = keys.order_bucket(order_id)
    return [
        keys.order(order_id),
        keys.order_expiries(bucket),
        keys.orders_stream(bucket),
        keys.charge_attempts(bucket),
        keys.refunds_due(bucket),
        keys.orders_sync(bucket),
    ]


def release_keys(fields: dict[str, str]) -> list[str]:
    """Keys of ``order_release.lua`` (all in the order's customer slot)."""
    bucket = keys.order_bucket(fields["id"])
    return [
        keys.order(fields["id"]),
        keys.order_expiries(bucket),
        keys.orders_stream(bucket),
        keys.refunds_due(bucket),
        keys.orders_sync(bucket),
        *wallet_keys(fields["customer"]),
    ]


def refund_keys(order_id: str) -> list[str]:
    """Keys of ``order_refund.lua``."""
    bucket = keys.order_bucket(order_id)
    return [keys.order(order_id), keys.refunds_due(bucket), keys.orders_stream(bucket)]
