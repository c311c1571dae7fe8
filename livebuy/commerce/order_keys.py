"""The keys each order script is called with, built from the order's stored fields."""

from __future__ import annotations

import secrets

import orjson

from livebuy.redis import keys
from livebuy.wallet.scripts import wallet_keys


def new_order_id(customer: str) -> str:
    """A fresh order id: the customer's bucket (two hex digits), then 20 random hex digits."""
    return f"{keys.customer_bucket(customer):02x}{secrets.token_hex(10)}"


def dirty_key(skus: list[str]) -> str:
    """The changed-products set a step over these SKUs marks (the first SKU's stock bucket)."""
    return keys.stock_dirty(keys.stock_bucket(skus[0]))


def line_skus(fields: dict[str, str]) -> list[str]:
    """The SKUs of the order's lines, in line order."""
    return [line["sku"] for line in orjson.loads(fields["lines"])]


def line_keys(fields: dict[str, str]) -> list[str]:
    """The inventory hashes of the order's lines, in line order."""
    return [keys.inventory(line["sku"]) for line in orjson.loads(fields["lines"])]


def sales_key(fields: dict[str, str]) -> str:
    """The show's sales counters that paying (or cancelling) the order moves, if it has a show."""
    show_id = fields.get("show_id", "")
    return keys.analytics_sales(show_id) if show_id else ""


def recent_sales_key(fields: dict[str, str]) -> str:
    """The show's recent paid units (sales velocity) that paying the order adds to, if any."""
    show_id = fields.get("show_id", "")
    return keys.analytics_sales_recent(show_id) if show_id else ""


def pay_keys(fields: dict[str, str], with_lines: bool) -> list[str]:
    """Keys of ``order_pay.lua``; the lines' inventory only for the steps that sell."""
    bucket = keys.order_bucket(fields["id"])
    base = [
        keys.order(fields["id"]),
        keys.order_expiries(bucket),
        keys.orders_stream(bucket),
        dirty_key(line_skus(fields)),
        sales_key(fields),
        keys.charge_attempts(bucket),
        keys.refunds_due(bucket),
        recent_sales_key(fields),
    ]
    return [*base, *line_keys(fields)] if with_lines else base


def release_keys(fields: dict[str, str]) -> list[str]:
    """Keys of ``order_release.lua``."""
    coupon = fields.get("coupon", "")
    bucket = keys.order_bucket(fields["id"])
    return [
        keys.order(fields["id"]),
        keys.order_expiries(bucket),
        keys.orders_stream(bucket),
        dirty_key(line_skus(fields)),
        fields.get("deal_key", ""),
        keys.coupon(coupon) if coupon else "",
        keys.coupon_uses(coupon) if coupon else "",
        sales_key(fields),
        keys.refunds_due(bucket),
        *wallet_keys(fields["customer"]),
        *line_keys(fields),
    ]


def refund_keys(order_id: str) -> list[str]:
    """Keys of ``order_refund.lua``."""
    bucket = keys.order_bucket(order_id)
    return [keys.order(order_id), keys.refunds_due(bucket), keys.orders_stream(bucket)]
