"""Run-sheet files: validation with errors that name the line and the field."""

from __future__ import annotations

import pytest

from livebuy.errors import RunSheetError
from livebuy.shows.runsheet import parse_run_sheet

PRODUCTS = {"red-dress", "blue-coat"}

GOOD = """\
id: test-show
title: Test
length: "1:00"
cues:
  - {id: a, at: "00:01.500", kind: pin, product_id: red-dress}
  - {id: b, at: 2000, kind: announce, text: hi}
  - id: c
    at: "00:05"
    kind: deal_start
    deal_id: d1
    product_id: blue-coat
    deal_price: {amount: 1000, currency: EUR}
    units: 5
"""


def test_valid_sheet_parses_offsets_and_sorts() -> None:
    """Offsets accept mm:ss.mmm and milliseconds; cues come out sorted on the clock."""
    sheet = parse_run_sheet(GOOD, "good.yaml", PRODUCTS)
    show = sheet.to_definition(default_start_ms=1_000)
    assert [c.offset_ms for c in show.cues] == [1500, 2000, 5000]
    assert show.length_ms == 60_000 and show.starts_at_ms == 1_000


def test_json_sheet_is_accepted() -> None:
    """JSON files work the same as YAML."""
    text = '{"id": "j", "title": "J", "cues": [{"id": "a", "at": 0, "kind": "unpin"}]}'
    show = parse_run_sheet(text, "j.json", PRODUCTS).to_definition(0)
    assert show.length_ms == 30_000


def test_unknown_product_is_rejected_with_line_and_field() -> None:
    """A cue naming a product not in the catalog is refused at load, naming line and field."""
    text = GOOD.replace("product_id: blue-coat", "product_id: green-hat")
    with pytest.raises(RunSheetError) as error:
        parse_run_sheet(text, "show.yaml", PRODUCTS)
    assert "show.yaml:11" in error.value.message
    assert "product_id" in error.value.message and "green-hat" in error.value.message


def test_schema_errors_name_line_and_field() -> None:
    """A wrong type inside a cue is reported at its line with its field path."""
    text = GOOD.replace("units: 5", "units: lots")
    with pytest.raises(RunSheetError) as error:
        parse_run_sheet(text, "show.yaml", PRODUCTS)
    assert "show.yaml:13" in error.value.message and "units" in error.value.message


def test_unknown_cue_kind_and_bad_offset_are_reported() -> None:
    """An unknown kind and a malformed offset are both reported."""
    text = GOOD.replace("kind: announce", "kind: dance").replace('"00:01.500"', '"soon"')
    with pytest.raises(RunSheetError) as error:
        parse_run_sheet(text, "show.yaml", PRODUCTS)
    assert len(error.value.details["problems"]) == 2
    assert "show.yaml:5" in error.value.message and "show.yaml:6" in error.value.message


def test_duplicate_ids_and_offsets_past_the_end_are_rejected() -> None:
    """Cue ids are unique and every offset lies inside the show's length."""
    text = GOOD.replace("id: b,", "id: a,").replace('at: "00:05"', 'at: "01:30"')
    with pytest.raises(RunSheetError) as error:
        parse_run_sheet(text, "show.yaml", PRODUCTS)
    assert "duplicate cue id" in error.value.message
    assert "not before the show's length" in error.value.message


def test_not_yaml_is_rejected() -> None:
    """A file that is not YAML or JSON gets a clear error."""
    with pytest.raises(RunSheetError, match="not valid YAML"):
        parse_run_sheet("id: [unclosed", "bad.yaml", PRODUCTS)
