"""Start-up content: the catalog and the run sheets, loaded into Redis idempotently."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from redis.asyncio import Redis

from catalog.demo import load_demo_catalog
from catalog.loader import load_catalog
from catalog.store import CatalogStore
from livebuy.clock import now_ms
from livebuy.redis import keys
from livebuy.settings import Settings
from livebuy.shows.models import ShowDefinition
from livebuy.shows.runsheet import RunSheetFile, parse_run_sheet, read_run_sheet
from livebuy.shows.service import ShowService

log = logging.getLogger(__name__)

DEMO_SHOW_FILE = "data/demo_show.yaml"


def demo_run_sheet(known_products: set[str]) -> RunSheetFile:
    """The demo show that ships with the demo catalog."""
    text = resources.files("catalog").joinpath(DEMO_SHOW_FILE).read_text(encoding="utf-8")
    return parse_run_sheet(text, DEMO_SHOW_FILE, known_products)


def _read_shows_dir(directory: Path, known_products: set[str]) -> list[RunSheetFile]:
    paths = sorted(
        path for path in directory.glob("*") if path.suffix in {".yaml", ".yml", ".json"}
    )
    return [read_run_sheet(path, known_products) for path in paths]


async def load_content(
    redis: Redis,
    catalog: CatalogStore,
    shows: ShowService,
    settings: Settings,
    *,
    known_starts: Mapping[str, int] | None = None,
) -> list[ShowDefinition]:
    """Load the demo catalog and show (if enabled) and every run sheet in ``shows_dir``.

    Run sheets without a start time start ``demo_start_delay_ms`` after the first boot; later
    boots keep that start, so a restarted gateway resumes the show where the clock says it is.
    ``known_starts`` (show id to start) are the starts this process loaded before: after Redis
    lost its data they keep the shows on the program clock they were on, not a new one.
    Idempotent, and safe to run in several processes at once; the ``content_loaded`` marker is
    set last, so its presence means everything is there.
    """
    if settings.shows.load_demo:
        await load_catalog(redis, load_demo_catalog())
    known = await catalog.product_ids()
    sheets: list[RunSheetFile] = []
    if settings.shows.load_demo:
        sheet = demo_run_sheet(known)
        if settings.shows.loop_demo:
            sheet = sheet.model_copy(update={"loop": True})
        sheets.append(sheet)
    if settings.shows.shows_dir is not None:
        sheets.extend(
            await asyncio.to_thread(_read_shows_dir, Path(settings.shows.shows_dir), known)
        )
    start = now_ms() + settings.shows.demo_start_delay_ms
    loaded = []
    starts = known_starts or {}
    for sheet in sheets:
        definition = sheet.to_definition(starts.get(sheet.id, start))
        loaded.append(await shows.save(definition, keep_start=sheet.starts_at is None))
        log.info("show loaded", extra={"show_id": definition.id, "cues": len(definition.cues)})
    await redis.set(keys.content_loaded(), now_ms())
    return loaded
