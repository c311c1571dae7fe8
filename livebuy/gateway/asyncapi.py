"""The websocket contract as an AsyncAPI 3.0 document, generated from the models the code uses.

Every server frame's ``data`` schema comes from its model (``livebuy.events.models`` for show
events, ``livebuy.gateway.control`` for the rest), every client frame from the discriminated
union the gateway parses (``livebuy.gateway.protocol``), and the close codes from the one table
the gateway closes with. ``docs/asyncapi.yaml`` is this module's output
(``python -m livebuy.gateway.asyncapi > docs/asyncapi.yaml``); a test keeps it equal.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from livebuy import __version__
from livebuy.events.models import CONTROL_FRAMES, EVENT_TYPES
from livebuy.gateway.control import CONTROL_DATA
from livebuy.gateway.protocol import CLOSE_REASONS, AnyClientFrame

CHANNEL = "show"
ADDRESS = "/ws/shows/{show_id}"
SCHEMAS = "#/components/schemas/"

_DESCRIPTION = """\
A show's live frames, pushed over one websocket per viewer (or producer console), and what a
client may send back. Every server frame is one JSON text message
`{"type", "seq", "at", "ts", "data"}`: `seq` is the show's sequence number (+1 per show event;
control frames repeat the last one sent), `at` the program time of the moment on stage (hold the
frame until the video reaches it), `ts` the server's wall clock when sent. The prose, with the
rules of resume, heartbeat and deal windows: docs/protocol.md.
"""

_QUERY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "since": {
            "type": "string",
            "pattern": "^[0-9]{1,18}$",
            "description": "resume after this seq (with `epoch`); anything else closes 1008",
        },
        "epoch": {"type": "string", "description": "the snapshot's `epoch`, to resume"},
        "role": {
            "type": "string",
            "enum": ["viewer", "console"],
            "default": "viewer",
            "description": "`console`: a producer's console (first frame: `auth` with the "
            "producer token); anything else closes 1008",
        },
        "token": {
            "type": "string",
            "description": "a viewer session token (POST /api/sessions), to chat and react; "
            "a bad one closes 4401. Or send an `auth` frame later",
        },
    },
}

_CONTROL_SUMMARIES = {
    "snapshot": "First frame of every connection (and after a lost history): the show's state",
    "error": "A client frame was refused; the connection stays open",
    "pong": "The answer to a `ping`: its `data`, and the server's clock in `ts`",
    "auth_ok": "The session an `auth` frame attached",
    "chat_ack": "The stored chat message, to its sender only",
}


def _server_models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    models: list[type[BaseModel]] = [model for group in EVENT_TYPES.values() for model in group]
    models += [model for model in CONTROL_DATA.values() if model is not None]
    return [(model, "serialization") for model in models]


def _client_models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    return [(model, "validation") for model in AnyClientFrame.__args__]


def _asyncapi_schema(schema: Any) -> Any:
    """``schema`` as an AsyncAPI Schema Object: there ``discriminator`` is the property's name."""
    if isinstance(schema, dict):
        converted = {key: _asyncapi_schema(value) for key, value in schema.items()}
        if isinstance(converted.get("discriminator"), dict):
            converted["discriminator"] = converted["discriminator"]["propertyName"]
        return converted
    if isinstance(schema, list):
        return [_asyncapi_schema(item) for item in schema]
    return schema


def _ref(model: type[BaseModel], refs: dict[Any, dict[str, Any]], mode: JsonSchemaMode) -> Any:
    return refs[(model, mode)]


def _envelope(frame_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """A server frame: its ``type`` and the shared header around ``data``."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "seq", "at", "ts", "data"],
        "properties": {
            "type": {"const": frame_type},
            "seq": {"$ref": SCHEMAS + "Seq"},
            "at": {"$ref": SCHEMAS + "ProgramTime"},
            "ts": {"$ref": SCHEMAS + "ServerTime"},
            "data": data,
        },
    }


def _summary(model: type[BaseModel]) -> str:
    return (model.__doc__ or model.__name__).strip().split("\n\n")[0].replace("\n", " ")


def _server_messages(refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for frame_type, models in EVENT_TYPES.items():
        if len(models) == 1:
            data = _ref(models[0], refs, "serialization")
            summary = _summary(models[0])
        else:
            # Cues: one model per kind, told apart by ``kind``.
            data = {
                "oneOf": [_ref(model, refs, "serialization") for model in models],
                "discriminator": "kind",
            }
            summary = "A run-sheet or producer cue; `kind` says which and what `data` holds"
        messages[frame_type] = {
            "name": frame_type,
            "title": f"{frame_type} (show event)",
            "summary": summary,
            "payload": _envelope(frame_type, data),
        }
    for frame_type in sorted(CONTROL_FRAMES):
        model = CONTROL_DATA[frame_type]
        if model is None:
            data = {"type": "object", "description": "the `data` of the client's `ping`"}
        else:
            data = _ref(model, refs, "serialization")
        messages[frame_type] = {
            "name": frame_type,
            "title": f"{frame_type} (control frame)",
            "summary": _CONTROL_SUMMARIES[frame_type],
            "description": "Sent to this connection only; `seq` repeats the last seq it was sent.",
            "payload": _envelope(frame_type, data),
        }
    return messages


def _client_messages(refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for model in AnyClientFrame.__args__:
        frame_type = model.model_fields["type"].annotation.__args__[0]
        messages[f"client_{frame_type}"] = {
            "name": frame_type,
            "title": f"{frame_type} (client frame)",
            "summary": _summary(model),
            "payload": _ref(model, refs, "validation"),
        }
    return messages


@cache
def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of ``/ws/shows/{show_id}``."""
    refs, definitions = models_json_schema(
        [*_server_models(), *_client_models()], ref_template=SCHEMAS + "{model}"
    )
    schemas: dict[str, Any] = {
        "Seq": {"type": "integer", "minimum": 0, "description": "the show's sequence number"},
        "ProgramTime": {"type": "integer", "description": "program time, ms since the epoch"},
        "ServerTime": {"type": "integer", "description": "server's wall clock, ms since the epoch"},
        **definitions["$defs"],
    }
    server = _server_messages(refs)
    client = _client_messages(refs)
    channel_ref = {"$ref": f"#/channels/{CHANNEL}"}
    close_codes = "\n".join(f"| {int(code)} | {why} |" for code, why in CLOSE_REASONS.items())
    doc: dict[str, Any] = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "livebuy show websocket",
            "version": __version__,
            "description": _DESCRIPTION,
            "license": {"name": "MIT"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:8000",
                "protocol": "ws",
                "description": "`livebuy demo`; behind TLS use `wss` and your host",
            }
        },
        "channels": {
            CHANNEL: {
                "address": ADDRESS,
                "title": "One show's live frames",
                "description": "Close codes the server sends:\n\n| code | when |\n|---|---|\n"
                + close_codes
                + "\n\nBrowsers must come from an allowed `Origin`; others are refused during "
                "the handshake (HTTP 403).",
                "parameters": {"show_id": {"description": "the show's id (`GET /api/shows`)"}},
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in server}
                | {name: {"$ref": f"#/components/messages/{name}"} for name in client},
                "bindings": {"ws": {"method": "GET", "query": _QUERY, "bindingVersion": "0.1.0"}},
                "x-close-codes": {str(int(code)): why for code, why in CLOSE_REASONS.items()},
            }
        },
        "operations": {
            "sendShowFrames": {
                "action": "send",
                "channel": channel_ref,
                "summary": "Show events (with their seq, resumable with `since`) and control "
                "frames to this connection",
                "messages": [{"$ref": f"#/channels/{CHANNEL}/messages/{name}"} for name in server],
            },
            "receiveClientFrames": {
                "action": "receive",
                "channel": channel_ref,
                "summary": "What a client may send; a refused frame is answered with `error`",
                "messages": [{"$ref": f"#/channels/{CHANNEL}/messages/{name}"} for name in client],
            },
        },
        "components": {
            "messages": server | client,
            "schemas": _asyncapi_schema(schemas),
        },
    }
    return doc


def server_message_types() -> frozenset[str]:
    """Every ``type`` a server frame may have (one message each in the document)."""
    return frozenset(EVENT_TYPES) | CONTROL_FRAMES


class _Dumper(yaml.SafeDumper):
    """Plain YAML for people: no anchors for repeated parts, multi-line text as blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _text)


@cache
def to_yaml() -> str:
    """The document as the YAML committed in ``docs/asyncapi.yaml``."""
    header = "# Generated by `python -m livebuy.gateway.asyncapi`: do not edit by hand.\n"
    body = yaml.dump(document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return header + body


if __name__ == "__main__":
    sys.stdout.write(to_yaml())
