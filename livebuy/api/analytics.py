"""The producer's live dashboard and post-show report, and the viewer page's funnel beacon."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from livebuy.analytics.models import ShowAnalytics, ShowFunnel
from livebuy.analytics.report import build_report
from livebuy.analytics.report_models import ShowReport
from livebuy.analytics.report_reader import read_report_inputs
from livebuy.api.auth import ProducerDep
from livebuy.api.deps import AnalyticsDep, CatalogDep, FunnelDep, RedisDep, ShowsDep
from livebuy.api.sessions import SessionDep

router = APIRouter(prefix="/api/shows", tags=["analytics"])


class SheetOpened(BaseModel):
    """Body of ``POST /api/shows/{show_id}/funnel/sheets``: the product whose sheet opened."""

    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=200)


@router.get("/{show_id}/analytics")
async def get_analytics(analytics: AnalyticsDep, show_id: str, _: ProducerDep) -> ShowAnalytics:
    """The show's figures across every gateway process (bearer token: 401 without, 403 wrong;
    unknown show: 404)."""
    return await analytics.show(show_id)


@router.get("/{show_id}/funnel")
async def get_funnel(funnel: FunnelDep, show_id: str, _: ProducerDep) -> ShowFunnel:
    """Per product: cards shown, added to bag, bought (bearer token: 401 without, 403 wrong;
    unknown show: 404)."""
    return await funnel.show(show_id)


@router.post("/{show_id}/funnel/sheets", status_code=204)
async def post_sheet_opened(
    funnel: FunnelDep, session: SessionDep, show_id: str, body: SheetOpened
) -> Response:
    """The viewer page opened a product's sheet: counted once per session in the show's funnel,
    under the cue on air (no session: 401; unknown show or product: 404)."""
    await funnel.sheet_opened(show_id, body.product_id, session.session_id)
    return Response(status_code=204)


@router.get("/{show_id}/report")
async def get_report(
    redis: RedisDep, shows: ShowsDep, catalog: CatalogDep, show_id: str, _: ProducerDep
) -> ShowReport:
    """The post-show report's figures, live (docs/analytics.md; bearer token: 401 without, 403
    wrong; unknown show: 404)."""
    return build_report(await read_report_inputs(redis, shows, catalog, show_id))
