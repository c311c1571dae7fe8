"""The websocket contract for people and tools: ``/asyncapi.yaml`` and ``/docs/asyncapi``.

The page is rendered here from the same document, as plain HTML (no script, no CDN: it reads
offline): the channel and its query, the close codes, every message with its payload schema, and
the shared schemas, each ``$ref`` a link to its definition.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from livebuy.gateway.asyncapi import CHANNEL, document, to_yaml

router = APIRouter(tags=["web"])

_REF = re.compile(r"&quot;#/components/schemas/([A-Za-z0-9_.-]+)&quot;")
_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; }
pre { background: #f5f5f5; padding: .75rem; overflow-x: auto; font-size: 13px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25rem .5rem; }
th { text-align: left; } h3 code { font-size: 1.1em; } .summary { white-space: pre-wrap; }
"""


def _schema_block(schema: Any) -> str:
    text = html.escape(json.dumps(schema, indent=2, ensure_ascii=False))
    linked = _REF.sub(r'&quot;<a href="#schema-\1">#/components/schemas/\1</a>&quot;', text)
    return f"<pre>{linked}</pre>"


def _message(name: str, message: dict[str, Any]) -> str:
    parts = [
        f'<h3 id="message-{html.escape(name)}"><code>{html.escape(message["name"])}</code></h3>',
        f'<p class="summary">{html.escape(message.get("summary", ""))}</p>',
    ]
    if "description" in message:
        parts.append(f'<p class="summary">{html.escape(message["description"])}</p>')
    parts.append(_schema_block(message["payload"]))
    return "\n".join(parts)


def _messages(doc: dict[str, Any], operation: str) -> str:
    messages = doc["components"]["messages"]
    names = [ref["$ref"].rsplit("/", 1)[1] for ref in doc["operations"][operation]["messages"]]
    index = ", ".join(
        f'<a href="#message-{html.escape(name)}"><code>{html.escape(messages[name]["name"])}'
        "</code></a>"
        for name in names
    )
    return f"<p>{index}</p>\n" + "\n".join(_message(name, messages[name]) for name in names)


def _query(binding: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(name)}</code></td>"
        f"<td>{html.escape(json.dumps({k: v for k, v in spec.items() if k != 'description'}))}"
        f"</td><td>{html.escape(spec.get('description', ''))}</td></tr>"
        for name, spec in binding["query"]["properties"].items()
    )
    return f"<table><tr><th>query</th><th>schema</th><th>what</th></tr>{rows}</table>"


def _close_codes(codes: dict[str, str]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(code)}</td><td>{html.escape(why)}</td></tr>"
        for code, why in codes.items()
    )
    return f"<table><tr><th>close code</th><th>when</th></tr>{rows}</table>"


@cache
def render() -> str:
    """The AsyncAPI document as one self-contained HTML page."""
    doc = document()
    channel = doc["channels"][CHANNEL]
    schemas = "\n".join(
        f'<h3 id="schema-{html.escape(name)}"><code>{html.escape(name)}</code></h3>'
        + _schema_block(schema)
        for name, schema in doc["components"]["schemas"].items()
    )
    info = doc["info"]
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(info["title"])} — AsyncAPI {html.escape(doc["asyncapi"])}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>{html.escape(info["title"])} <small>{html.escape(info["version"])}</small></h1>
<p class="summary">{html.escape(info["description"])}</p>
<p>Machine-readable: <a href="/asyncapi.yaml">/asyncapi.yaml</a> (AsyncAPI
{html.escape(doc["asyncapi"])}). The HTTP API: <a href="/docs">/docs</a>.</p>
<h2 id="channel">Channel <code>{html.escape(channel["address"])}</code></h2>
{_query(channel["bindings"]["ws"])}
<h3>Close codes</h3>
{_close_codes(channel["x-close-codes"])}
<p>Browsers must come from an allowed <code>Origin</code>; others are refused during the
handshake (HTTP 403).</p>
<h2 id="server-frames">Server → client frames</h2>
{_messages(doc, "sendShowFrames")}
<h2 id="client-frames">Client → server frames</h2>
{_messages(doc, "receiveClientFrames")}
<h2 id="schemas">Schemas</h2>
{schemas}
</main>
</body>
</html>
"""


@router.get("/asyncapi.yaml", include_in_schema=False)
async def asyncapi_yaml() -> Response:
    """The websocket's AsyncAPI document (the same as ``docs/asyncapi.yaml``)."""
    return Response(to_yaml(), media_type="application/yaml")


@router.get("/docs/asyncapi", include_in_schema=False)
async def asyncapi_page() -> HTMLResponse:
    """The websocket's AsyncAPI document as a page."""
    return HTMLResponse(render())
