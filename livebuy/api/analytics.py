"""The producer's live dashboard: a show's viewers, chat, reactions, sales and deals."""

from __future__ import annotations

from fastapi import APIRouter, Request

from livebuy.analytics.models import ShowAnalytics
from livebuy.analytics.service import AnalyticsService
from livebuy.api.auth import ProducerDep

router = APIRouter(prefix="/api/shows", tags=["analytics"])


@router.get("/{show_id}/analytics")
async def get_analytics(request: Request, show_id: str, _: ProducerDep) -> ShowAnalytics:
    """The show's figures across every gateway process (bearer token: 401 without, 403 wrong;
    unknown show: 404)."""
    service: AnalyticsService = request.app.state.analytics
    return await service.show(show_id)
