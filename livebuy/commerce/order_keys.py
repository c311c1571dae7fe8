"""The keys each order script is called with, built from the order's stored fields."""

from __future__ import annotations

import orjson

from livebuy.redis import keys
from livebuy.wallet.scripts import wallet_keys


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
    base = [
        keys.order(fields["id"]),
        keys.order_expiries(),
        keys.orders_stream(),
        keys.stock_dirty(),
        sales_key(fields),
        keys.charge_attempts(),
        keys.refunds_due(),
        recent_sales_key(fields),
    ]
    return [*base, *line_keys(fields)] if with_lines else base


def release_keys(fields: dict[str, str]) -> list[str]:
    """Keys of ``order_release.lua``."""
    coupon = fields.get("coupon", "")
    return [
        keys.order(fields["id"]),
        keys.order_expiries(),
        keys.orders_stream(),
        keys.stock_dirty(),
        fields.get("deal_key", ""),
        keys.coupon(coupon) if coupon else "",
        keys.coupon_uses(coupon) if coupon else "",
        sales_key(fields),
        keys.refunds_due(),
        *wallet_keys(fields["customer"]),
        *line_keys(fields),
    ]


def refund_keys(order_id: str) -> list[str]:
    """Keys of ``order_refund.lua``."""
    return [keys.order(order_id), keys.refunds_due(), keys.orders_stream()]
