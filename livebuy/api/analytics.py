"""The producer's live dashboard: a show's viewers, chat, reactions, sales and deals."""

from __future__ import annotations

from fastapi import APIRouter

from livebuy.analytics.models import ShowAnalytics, ShowFunnel
from livebuy.api.auth import ProducerDep
from livebuy.api.deps import AnalyticsDep, FunnelDep

router = APIRouter(prefix="/api/shows", tags=["analytics"])


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
