"""Where ``livebuy report`` gets a show's figures: a running server, or Redis directly."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from urllib.parse import quote

from redis.exceptions import RedisError

from livebuy.analytics.report import build_report
from livebuy.analytics.report_models import ShowReport
from livebuy.analytics.report_reader import read_report_inputs
from livebuy.errors import LivebuyError
from livebuy.events.stream import ShowStream
from livebuy.redis.connection import connect
from livebuy.services import catalog_store
from livebuy.settings import Settings
from livebuy.shows.service import ShowService

TIMEOUT_S = 30


class ReportSourceError(Exception):
    """The figures could not be had: the message says why, in one line."""


def fetch_report(base_url: str, show_id: str, token: str) -> ShowReport:
    """``GET {base_url}/api/shows/{show_id}/report`` with the producer token.

    Raises:
        ReportSourceError: unreachable server, or an error answer (its code and message).
    """
    url = f"{base_url.rstrip('/')}/api/shows/{quote(show_id, safe='')}/report"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return ShowReport.model_validate_json(response.read())
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read())["error"]
            reason = f"{detail['code']}: {detail['message']}"
        except (ValueError, KeyError, TypeError):
            reason = f"HTTP {error.code}"
        raise ReportSourceError(f"{url} answered {reason}") from None
    except (urllib.error.URLError, TimeoutError) as error:
        raise ReportSourceError(f"cannot reach {url}: {error}") from None


def read_report(redis_url: str, show_id: str, settings: Settings) -> ShowReport:
    """The figures read from Redis directly (the server may be stopped).

    Raises:
        ReportSourceError: Redis unreachable, or no such show.
    """
    return asyncio.run(_read(redis_url, show_id, settings))


async def _read(redis_url: str, show_id: str, settings: Settings) -> ShowReport:
    redis = connect(redis_url, cluster=settings.redis.redis_cluster)
    try:
        catalog = catalog_store(redis)
        shows = ShowService(
            redis, ShowStream(redis, settings.shows.stream_maxlen), catalog, settings.shows.speed
        )
        return build_report(await read_report_inputs(redis, shows, catalog, show_id))
    except LivebuyError as error:
        raise ReportSourceError(str(error)) from None
    except RedisError as error:
        raise ReportSourceError(f"cannot read {redis_url}: {error}") from None
    finally:
        await redis.aclose()
