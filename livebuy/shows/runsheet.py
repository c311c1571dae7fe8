"""Reads run-sheet files (YAML or JSON) into validated show definitions with located errors."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from livebuy.errors import RunSheetError
from livebuy.shows.models import (
    DealStartCue,
    Experiments,
    Identifier,
    OffsetMs,
    PinCue,
    ScheduledCue,
    ShowDefinition,
    UnpinCue,
)

# A run sheet without an explicit length keeps playing this long after its last cue.
DEFAULT_TAIL_MS = 30_000


class RunSheetFile(BaseModel):
    """The file format. ``starts_at`` omitted means "when the server boots" (demo, rehearsal)."""

    model_config = ConfigDict(extra="forbid")

    id: Identifier
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    starts_at: datetime | None = None
    length: OffsetMs | None = None
    loop: bool = False
    cues: list[ScheduledCue] = Field(min_length=1)
    experiments: Experiments = Field(default_factory=list)

    def to_definition(self, default_start_ms: int) -> ShowDefinition:
        """The show with its start resolved and its cues sorted on the program clock."""
        cues = sorted(self.cues, key=lambda line: line.offset_ms)
        length = self.length if self.length is not None else cues[-1].offset_ms + DEFAULT_TAIL_MS
        start = (
            default_start_ms if self.starts_at is None else int(self.starts_at.timestamp() * 1000)
        )
        return ShowDefinition(
            id=self.id,
            title=self.title,
            description=self.description,
            starts_at_ms=start,
            length_ms=length,
            loop=self.loop,
            cues=cues,
            experiments=self.experiments,
        )


def _line_of(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """1-based line of the deepest node that ``loc`` (a pydantic error path) reaches.

    Path parts that are not in the file (the nested ``cue`` and the union tag) are skipped.
    """
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        elif isinstance(node, yaml.MappingNode):
            match = next((pair for pair in node.value if pair[0].value == part), None)
            if match is None:
                continue
            node = match[1] if isinstance(match[1], yaml.CollectionNode) else match[0]
        else:
            continue
        line = node.start_mark.line + 1
    return line


def _describe(source: str, root: yaml.Node | None, loc: Sequence[int | str], message: str) -> str:
    line = _line_of(root, loc)
    where = f"{source}:{line}" if line is not None else source
    field = ".".join(str(part) for part in loc) or "(file)"
    return f"{where}: {field}: {message}"


def _referenced_products(line: ScheduledCue) -> str | None:
    if isinstance(line.cue, PinCue | DealStartCue):
        return line.cue.product_id
    if isinstance(line.cue, UnpinCue):
        return line.cue.product_id
    return None


def parse_run_sheet(text: str, source: str, known_products: Collection[str]) -> RunSheetFile:
    """Validate a run sheet; every problem is reported with its file, line and field.

    Raises:
        RunSheetError: the file is not YAML/JSON, breaks the schema, or names an unknown product.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RunSheetError(f"{source}: not valid YAML or JSON: {error}") from error
    try:
        sheet = RunSheetFile.model_validate(data)
    except ValidationError as error:
        problems = [_describe(source, root, e["loc"], e["msg"]) for e in error.errors()]
        raise RunSheetError("; ".join(problems), problems=problems) from error
    problems = []
    seen: set[str] = set()
    for index, line in enumerate(sheet.cues):
        product_id = _referenced_products(line)
        if product_id is not None and product_id not in known_products:
            message = f"unknown product '{product_id}'"
            problems.append(_describe(source, root, ["cues", index, "product_id"], message))
        if sheet.length is not None and line.offset_ms >= sheet.length:
            message = (
                f"offset {line.offset_ms} ms is not before the show's length {sheet.length} ms"
            )
            problems.append(_describe(source, root, ["cues", index, "at"], message))
        if line.id in seen:
            problems.append(_describe(source, root, ["cues", index, "id"], "duplicate cue id"))
        seen.add(line.id)
    for index, experiment in enumerate(sheet.experiments):
        if experiment.product_id not in known_products:
            message = f"unknown product '{experiment.product_id}'"
            problems.append(_describe(source, root, ["experiments", index, "product_id"], message))
    if problems:
        raise RunSheetError("; ".join(problems), problems=problems)
    return sheet


def read_run_sheet(path: Path, known_products: Collection[str]) -> RunSheetFile:
    """``parse_run_sheet`` on a file."""
    return parse_run_sheet(path.read_text(encoding="utf-8"), path.name, known_products)
