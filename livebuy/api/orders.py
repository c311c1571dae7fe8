"""Orders (buy now, checkout, pay, cancel) and the producer's coupon and restock endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from livebuy import metrics
from livebuy.api.auth import ProducerDep
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
from livebuy.commerce.services import Commerce
from livebuy.errors import InvalidInputError, LivebuyError

router = APIRouter(prefix="/api/orders", tags=["commerce"])
producer_router = APIRouter(prefix="/api", tags=["commerce"])


class Restock(BaseModel):
    """Body of ``POST /api/inventory/{sku}/restock``."""

    model_config = ConfigDict(extra="forbid")

    units: int = Field(gt=0, le=1_000_000)


def _commerce(request: Request) -> Commerce:
    commerce: Commerce = request.app.state.commerce
    return commerce


@router.post("", status_code=201, dependencies=[Depends(rate_limited("orders"))])
async def create_order(
    request: Request,
    response: Response,
    session: SessionDep,
    body: OrderRequest,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Order:
    """Reserve and create the order (201); a replayed Idempotency-Key answers the first order (200)."""
    try:
        order, created = await _commerce(request).orders.create(
            session.session_id, idempotency_key, body
        )
    except LivebuyError as error:
        metrics.ORDER_OUTCOMES.labels(error.code).inc()
        raise
    metrics.ORDER_OUTCOMES.labels("created" if created else "replayed").inc()
    if not created:
        response.status_code = 200
    return order


@router.get("")
async def list_orders(request: Request, session: SessionDep) -> OrderList:
    """The viewer's latest orders, newest first."""
    return await _commerce(request).orders.recent(session.session_id)


@router.get("/{order_id}")
async def get_order(request: Request, session: SessionDep, order_id: str) -> Order:
    """One of the viewer's orders; others' orders and unknown ids: 404."""
    return await _commerce(request).orders.get(session.session_id, order_id)


@router.post("/{order_id}/pay")
async def pay_order(
    request: Request, session: SessionDep, order_id: str, body: PaymentRequest
) -> Order:
    """Charge the order and commit its units; a decline (402) keeps the reservation."""
    return await _commerce(request).orders.pay(session.session_id, order_id, body)


@router.post("/{order_id}/cancel")
async def cancel_order(request: Request, session: SessionDep, order_id: str) -> Order:
    """Cancel: units go back to stock; a paid order's refund is due (``pending`` until made)."""
    return await _commerce(request).orders.cancel(session.session_id, order_id)


@producer_router.put("/coupons/{code}", status_code=204)
async def put_coupon(
    request: Request,
    code: Annotated[str, Path(pattern=COUPON_CODE_PATTERN)],
    body: Coupon,
    _: ProducerDep,
) -> None:
    """Producer: create or change a coupon (the body's code must match the path)."""
    if body.code != code:
        raise InvalidInputError("the body's code must match the path", field="code")
    await _commerce(request).coupons.save(body)


@producer_router.get("/inventory/{sku}")
async def get_stock(request: Request, sku: str) -> StockLevel:
    """A SKU's stock counters."""
    return await _commerce(request).inventory.level(sku)


@producer_router.post("/inventory/{sku}/restock")
async def restock(request: Request, sku: str, body: Restock, _: ProducerDep) -> StockLevel:
    """Producer: add units to a SKU."""
    return await _commerce(request).inventory.restock(sku, body.units)
