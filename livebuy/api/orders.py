"""Orders (buy now, checkout, pay, cancel) and the producer's coupon and restock endpoints."""

from __future__ import annotations

import time
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Response
from prometheus_client import Counter, Histogram
from pydantic import BaseModel, ConfigDict, Field

from livebuy import metrics
from livebuy.api.auth import ProducerDep
from livebuy.api.deps import CommerceDep
from livebuy.api.rate_limit import rate_limited
from livebuy.api.sessions import SessionDep
from livebuy.commerce.models import (
    COUPON_CODE_PATTERN,
    Coupon,
    Order,
    OrderList,
    OrderRequest,
    PaymentRequest,
    StockLevel,
)
from livebuy.commerce.orders import OrderData
from livebuy.commerce.services import Commerce
from livebuy.errors import InvalidInputError, LivebuyError

router = APIRouter(prefix="/api/orders", tags=["commerce"])
producer_router = APIRouter(prefix="/api", tags=["commerce"])


class Restock(BaseModel):
    """Body of ``POST /api/inventory/{sku}/restock``."""

    model_config = ConfigDict(extra="forbid")

    units: int = Field(gt=0, le=1_000_000)


@router.post("", status_code=201, dependencies=[Depends(rate_limited("orders"))])
async def create_order(
    commerce: CommerceDep,
    response: Response,
    session: SessionDep,
    body: OrderRequest,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Order:
    """Reserve and create the order (201); a replayed Idempotency-Key answers the first order (200).

    A well-formed request is answered by ``order_fastpath`` before it reaches this route; this
    one declares the operation and answers everything else, its errors included.
    """
    order, created = await place_order(commerce, session.session_id, idempotency_key, body)
    if not created:
        response.status_code = 200
    return Order.model_validate(order)


async def place_order(
    commerce: Commerce,
    session_id: str,
    idempotency_key: str | None,
    body: OrderRequest,
    replayable: bool | None = None,
) -> tuple[OrderData, bool]:
    """The order's answer and whether it is new (else an Idempotency-Key replay), counted in the
    metrics; ``replayable`` as ``OrderService.create_data`` takes it.

    Raises:
        LivebuyError: whatever ``OrderService.create_data`` refuses with (counted by its code).
    """
    started = time.perf_counter()
    try:
        order, created = await commerce.orders.create_data(
            session_id, idempotency_key, body, replayable=replayable
        )
    except LivebuyError as error:
        _count(error.code, started)
        raise
    _count("created" if created else "replayed", started)
    return order, created


@cache
def _series(outcome: str) -> tuple[Counter, Histogram]:
    # prometheus_client's ``labels()`` takes a lock and builds a key on every call.
    return metrics.ORDER_OUTCOMES.labels(outcome), metrics.ORDER_SECONDS.labels(outcome)


def _count(outcome: str, started: float) -> None:
    """Count one order request's outcome and its latency since ``started``."""
    outcomes, seconds = _series(outcome)
    outcomes.inc()
    seconds.observe(time.perf_counter() - started)


@router.get("")
async def list_orders(commerce: CommerceDep, session: SessionDep) -> OrderList:
    """The viewer's latest orders, newest first."""
    return await commerce.orders.recent(session.session_id)


@router.get("/{order_id}")
async def get_order(commerce: CommerceDep, session: SessionDep, order_id: str) -> Order:
    """One of the viewer's orders; others' orders and unknown ids: 404."""
    return await commerce.orders.get(session.session_id, order_id)


@router.post("/{order_id}/pay")
async def pay_order(
    commerce: CommerceDep, session: SessionDep, order_id: str, body: PaymentRequest
) -> Order:
    """Charge the order and commit its units; a decline (402) keeps the reservation."""
    return await commerce.orders.pay(session.session_id, order_id, body)


@router.post("/{order_id}/cancel")
async def cancel_order(commerce: CommerceDep, session: SessionDep, order_id: str) -> Order:
    """Cancel: units go back to stock; a paid order's refund is due (``pending`` until made)."""
    return await commerce.orders.cancel(session.session_id, order_id)


@producer_router.put("/coupons/{code}", status_code=204)
async def put_coupon(
    commerce: CommerceDep,
    code: Annotated[str, Path(pattern=COUPON_CODE_PATTERN)],
    body: Coupon,
    _: ProducerDep,
) -> None:
    """Producer: create or change a coupon (the body's code must match the path)."""
    if body.code != code:
        raise InvalidInputError("the body's code must match the path", field="code")
    await commerce.coupons.save(body)


@producer_router.get("/inventory/{sku}")
async def get_stock(commerce: CommerceDep, sku: str) -> StockLevel:
    """A SKU's stock counters."""
    return await commerce.inventory.level(sku)


@producer_router.post("/inventory/{sku}/restock")
async def restock(commerce: CommerceDep, sku: str, body: Restock, _: ProducerDep) -> StockLevel:
    """Producer: add units to a SKU."""
    return await commerce.inventory.restock(sku, body.units)
