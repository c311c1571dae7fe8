"""Every server frame a test receives is checked against the published AsyncAPI document.

``tests.servers.receive_json`` calls ``check_frame`` on each frame, so the whole end-to-end
suite holds the server to ``docs/asyncapi.yaml`` (which ``tests/gateway/test_asyncapi.py``
keeps equal to what the models generate). Validators are compiled once per test process.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

DOCUMENT = Path(__file__).parents[1] / "docs" / "asyncapi.yaml"


@cache
def _validators() -> dict[str, Draft202012Validator]:
    """One validator per server frame type, from the document's messages."""
    document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    components = document["components"]
    send = document["operations"]["sendShowFrames"]["messages"]
    validators = {}
    for reference in send:
        message = components["messages"][reference["$ref"].rsplit("/", 1)[1]]
        # The payload's references point into the document's components: keep them reachable.
        schema = {**message["payload"], "components": {"schemas": components["schemas"]}}
        validators[message["name"]] = Draft202012Validator(schema)
    return validators


def _in_its_branch(error: ValidationError) -> ValidationError:
    """For a cue refused by every ``oneOf`` branch, the error of the branch of its ``kind``."""
    if error.validator != "oneOf" or not error.context:
        return error
    branches: dict[Any, list[ValidationError]] = {}
    for suberror in error.context:
        branches.setdefault(suberror.schema_path[0], []).append(suberror)
    for errors in branches.values():
        if not any(list(suberror.relative_path) == ["kind"] for suberror in errors):
            return _in_its_branch(best_match(errors) or error)
    return error


class FrameContractError(AssertionError):
    """A server frame that the AsyncAPI document does not allow."""


def check_frame(frame: Any) -> None:
    """Fail, naming the frame, unless ``frame`` is one of the document's server messages.

    Raises:
        FrameContractError: an unknown ``type``, or a frame its message's schema refuses.
    """
    frame_type = frame.get("type") if isinstance(frame, dict) else None
    validator = _validators().get(frame_type) if isinstance(frame_type, str) else None
    if validator is None:
        raise FrameContractError(f"frame of unknown type {frame_type!r} (docs/asyncapi.yaml)")
    error = best_match(validator.iter_errors(frame))
    if error is None:
        return
    error = _in_its_branch(error)
    data = frame.get("data")
    kind = f" kind {data['kind']!r}" if isinstance(data, dict) and "kind" in data else ""
    where = "/".join(str(part) for part in error.absolute_path) or "(frame)"
    raise FrameContractError(
        f"{frame_type!r}{kind} frame seq {frame.get('seq')} breaks docs/asyncapi.yaml at "
        f"{where}: {error.message}"
    )
