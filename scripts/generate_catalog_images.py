"""Draw the demo catalog's product images from ``catalog/data/products.json``.

Every product gets three 600x800 SVG close-ups (front, detail, back) at the URLs its ``images``
list names: a stylised silhouette of the category in the product's colour, a material texture,
the product name and the view. Output depends only on products.json, so re-running the script
after editing the catalog gives a reviewable diff; SVGs no product references are deleted.

    .venv/bin/python scripts/generate_catalog_images.py
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
PRODUCTS_JSON = ROOT / "catalog" / "data" / "products.json"
IMAGES_DIR = ROOT / "catalog" / "images"
URL_PREFIX = "/catalog/images/"
VIEWS = ("front", "detail", "back")
FONT = "Helvetica Neue, Helvetica, Arial, sans-serif"

COLOURS = {
    "black": "#1e1e1e",
    "burgundy": "#7a1f3d",
    "butter": "#f2de8a",
    "camel": "#c19a6b",
    "champagne": "#e8d3a9",
    "charcoal": "#3a3d42",
    "cherry": "#b3122e",
    "cobalt": "#2a4fb8",
    "coral": "#f26b5b",
    "cream": "#efe6d2",
    "ecru": "#e9e0cc",
    "emerald": "#1f7a5a",
    "gold": "#c9a23f",
    "indigo": "#2e3a6b",
    "ivory": "#f3eedf",
    "light blue": "#9db9d9",
    "lilac": "#b9a3d6",
    "midnight": "#1f2a44",
    "navy": "#1d2c4f",
    "oatmeal": "#d9cdb4",
    "olive": "#6b7340",
    "orange": "#f08a24",
    "rose": "#e7a4b0",
    "sage": "#9caf88",
    "sand": "#d8c3a0",
    "silver": "#b8bcc2",
    "sky": "#8ec5e8",
    "tan": "#c68e5a",
    "tortoise": "#7b4a26",
    "white": "#f4f4f2",
}
COPPER = "#b87333"
METAL = "#d4af37"
SOLE = "#f5f2ea"

# First match wins, name before description: "Woven Leather Tote" is a weave, not a leather grain.
MATERIALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mesh", ("mesh",)),
    ("weave", ("woven", "linen", "canvas", "gabardine")),
    ("twill", ("denim", "jean", "twill")),
    ("knit", ("knit", "cable", "merino", "mohair", "cashmere", "boucle", "rib")),
    ("sheen", ("silk", "satin", "crepe", "acetate")),
    ("grain", ("leather", "lambskin", "calf", "suede")),
    ("metal", ("titanium", "gold", "silver", "vermeil", "pearl", "sterling")),
)


# --- colour helpers ----------------------------------------------------------------------------


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _mix(a: str, b: str, t: float) -> str:
    """``a`` moved a fraction ``t`` of the way towards ``b``."""
    ra, rb = _rgb(a), _rgb(b)
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(ra, rb, strict=True))
    return f"#{r:02x}{g:02x}{bl:02x}"


def _luminance(colour: str) -> float:
    r, g, b = _rgb(colour)
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def _unit(seed: str, salt: str) -> float:
    """A stable pseudo-random number in [0, 1): ``random`` may change across Python versions."""
    digest = hashlib.sha256(f"{seed}/{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Palette:
    """Colours of one product's images, derived from its variants' colour names."""

    base: str
    outline: str
    ink: str
    accent: str
    swatches: tuple[str, ...]
    backdrop_top: str
    backdrop_bottom: str
    backdrop_text: str

    @classmethod
    def of(cls, product: dict[str, Any]) -> Palette:
        names: list[str] = []
        for variant in product["variants"]:
            colour = variant.get("color")
            if colour and colour.lower() not in names:
                names.append(colour.lower())
        unknown = [n for n in names if n not in COLOURS]
        if unknown:
            raise SystemExit(f"{product['id']}: add {unknown} to COLOURS")
        if names:
            swatches = tuple(COLOURS[n] for n in names)
        else:
            hue = _unit(product["id"], "hue") * 360
            swatches = (_hsl(hue, 0.45, 0.5),)
        base = swatches[0]
        dark = _luminance(base) < 0.35
        ink = _mix(base, "#ffffff", 0.45) if dark else _mix(base, "#000000", 0.38)
        accent = swatches[1] if len(swatches) > 1 else ink
        # A light product on a light backdrop disappears, so the backdrop goes the other way.
        if _luminance(base) > 0.7:
            top, bottom, text = _mix(base, "#2c3038", 0.78), _mix(base, "#15171b", 0.85), "#ffffff"
        else:
            top, bottom, text = _mix(base, "#ffffff", 0.88), _mix(base, "#ffffff", 0.7), "#2a2a2a"
        return cls(
            base=base,
            outline=_mix(base, "#000000", 0.55),
            ink=ink,
            accent=accent,
            swatches=swatches,
            backdrop_top=top,
            backdrop_bottom=bottom,
            backdrop_text=text,
        )


def _hsl(hue: float, saturation: float, lightness: float) -> str:
    c = (1 - abs(2 * lightness - 1)) * saturation
    x = c * (1 - abs((hue / 60) % 2 - 1))
    m = lightness - c / 2
    sector = int(hue // 60) % 6
    r, g, b = [(c, x, 0), (x, c, 0), (0, c, x), (0, x, c), (x, 0, c), (c, 0, x)][sector]
    return "#" + "".join(f"{round((v + m) * 255):02x}" for v in (r, g, b))


# --- SVG element helpers -----------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _el(tag: str, **attributes: str | float) -> str:
    """A childless element; ``stroke_width=3`` becomes ``stroke-width="3"``."""
    rendered = " ".join(
        f'{key.replace("_", "-")}="{_num(value) if isinstance(value, float | int) else value}"'
        for key, value in attributes.items()
    )
    return f"<{tag} {rendered}/>"


def _shrunk(element: str, x: float, y: float, factor: float) -> str:
    """``element`` scaled by ``factor`` about the point (x, y)."""
    pivot, back = f"{_num(x)} {_num(y)}", f"{_num(-x)} {_num(-y)}"
    return (
        f'<g transform="translate({pivot}) scale({_num(factor)}) translate({back})">{element}</g>'
    )


def _stroke(d: str, colour: str, width: float, *, dash: str = "", opacity: float = 1.0) -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    if opacity < 1:
        extra += f' stroke-opacity="{_num(opacity)}"'
    return (
        f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{_num(width)}" '
        f'stroke-linecap="round" stroke-linejoin="round"{extra}/>'
    )


def _fill(d: str, colour: str, *, outline: str = "", width: float = 3) -> str:
    stroke = (
        f' stroke="{outline}" stroke-width="{_num(width)}" stroke-linejoin="round"'
        if outline
        else ""
    )
    return f'<path d="{d}" fill="{colour}"{stroke}/>'


def _circle(x: float, y: float, r: float, fill: str, *, outline: str = "", width: float = 2) -> str:
    stroke = f' stroke="{outline}" stroke-width="{_num(width)}"' if outline else ""
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}" fill="{fill}"{stroke}/>'


def _mirror_path(d: str) -> str:
    """``d`` reflected about the vertical centre line; only absolute M, L, Q and Z are supported."""
    tokens = (
        d.replace("M", " M ").replace("L", " L ").replace("Q", " Q ").replace("Z", " Z ").split()
    )
    out: list[str] = []
    is_x = True
    for token in tokens:
        if token.isalpha():
            if token not in "MLQZ":
                raise ValueError(f"cannot mirror path command {token!r}")
            out.append(token)
            continue
        out.append(_num(600 - float(token)) if is_x else token)
        is_x = not is_x
    return " ".join(out)


@dataclass
class Drawing:
    """A silhouette: ``shapes`` are filled with the product colour and texture, then ``details``."""

    shapes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Item:
    """What the drawing functions need to know about one product."""

    name: str
    category: str
    palette: Palette


# --- silhouettes -------------------------------------------------------------------------------


def _dress(item: Item, front: bool) -> Drawing:
    p, name = item.palette, item.name.lower()
    hem = 590 if "slip" in name else 612
    body = (
        f"M245 150 L355 150 L366 300 Q350 325 360 340 L452 {hem} Q300 {hem + 32} 148 {hem} "
        "L240 340 Q250 325 234 300 Z"
    )
    strap = 4 if "slip" in name else 16
    out = Drawing([body])
    out.details += [
        _stroke("M252 152 L262 96", p.base, strap),
        _stroke("M348 152 L338 96", p.base, strap),
        _stroke("M240 340 Q300 352 360 340", p.ink, 3),
    ]
    for i in range(6):
        x0, x1 = 250 + i * 20, 172 + i * 51
        out.details.append(_stroke(f"M{x0} 352 L{x1} {hem + 6}", p.ink, 1.5, opacity=0.45))
    if not front:
        out.details += [
            _stroke("M250 152 Q300 250 350 152", p.outline, 3),
            _stroke("M300 215 L300 335", p.ink, 3, dash="2 4"),
            _fill("M295 212 h10 v18 h-10 Z", METAL),
        ]
    elif "wrap" in name:
        out.details += [
            _stroke("M250 152 L338 338", p.ink, 3),
            _stroke("M350 152 L300 250", p.ink, 3),
            _fill("M245 150 Q205 175 200 215 Q230 210 240 190 Z", p.base, outline=p.outline),
            _fill("M355 150 Q395 175 400 215 Q370 210 360 190 Z", p.base, outline=p.outline),
        ]
    elif "slip" in name:
        out.details += [
            _stroke("M250 158 Q300 218 350 158", p.ink, 3),
            _stroke("M262 170 Q300 205 338 170", p.ink, 1.5, opacity=0.6),
        ]
    else:
        out.details += [
            _stroke("M256 150 L256 192 L344 192 L344 150", p.ink, 3),
            _stroke("M300 345 L270 400 M300 345 L322 404", p.ink, 5),
            _circle(300, 345, 9, p.base, outline=p.ink, width=3),
        ]
    return out


def _jacket(item: Item, front: bool) -> Drawing:
    p, name = item.palette, item.name.lower()
    hem = 475 if "cropped" in name else 565
    body = (
        f"M220 135 L262 120 Q300 140 338 120 L380 135 L465 185 L500 470 L458 480 L428 285 "
        f"L425 {hem} L175 {hem} L172 285 L142 480 L100 470 L135 185 Z"
    )
    out = Drawing([body])
    out.details += [
        _stroke("M103 452 L145 460 M497 452 L455 460", p.ink, 3),
        _stroke("M172 285 L168 300 M428 285 L432 300", p.ink, 2, opacity=0.6),
    ]
    if not front:
        out.details += [
            _stroke(f"M300 142 L300 {hem}", p.ink, 2, dash="3 5"),
            _stroke("M150 215 Q300 245 450 215", p.ink, 2.5),
            _stroke("M262 120 Q300 150 338 120", p.outline, 6),
            _fill("M291 140 h18 v14 h-18 Z", p.accent),
        ]
        if "trench" in name:
            out.details.append(_stroke(f"M300 {hem - 80} L300 {hem}", p.outline, 4))
        return out
    if "biker" in name:
        out.details += [
            _fill("M262 120 L232 200 L262 235 L300 150 Z", p.base, outline=p.ink),
            _fill("M338 120 L368 205 L335 240 L318 170 Z", p.base, outline=p.ink),
            _stroke(f"M332 150 L288 {hem}", "#c8ccd2", 5),
            _stroke("M200 330 L245 312 M355 312 L400 330", "#c8ccd2", 4),
        ]
    elif "trench" in name:
        out.details += [
            _fill("M262 120 L300 270 L285 170 Z", p.ink),
            _fill("M338 120 L300 270 L315 170 Z", p.ink),
            _fill(f"M175 {hem - 95} H425 V{hem - 72} H175 Z", p.outline),
            _fill(f"M284 {hem - 100} h32 v33 h-32 Z", "none", outline=METAL, width=4),
        ]
        for y in (300, 350, 400):
            out.details += [_circle(268, y, 7, p.outline), _circle(332, y, 7, p.outline)]
    else:
        out.details += [
            _stroke(f"M300 138 L300 {hem}", p.ink, 2.5),
            _stroke("M262 120 Q300 165 338 120", p.ink, 3),
        ]
        for y in range(200, hem - 30, 60):
            out.details.append(_circle(300, y, 9, METAL, outline=p.outline))
    return out


def _knitwear(item: Item, front: bool) -> Drawing:
    p, name = item.palette, item.name.lower()
    if "tank" in name:
        body = (
            "M240 140 Q300 168 360 140 L372 200 Q382 240 375 280 L385 560 L215 560 L225 280 "
            "Q218 240 228 200 Z"
        )
        out = Drawing([body])
        out.details.append(
            _fill("M245 110 H355 L360 150 Q300 170 240 150 Z", p.base, outline=p.outline)
        )
        for x in range(225, 380, 12):
            out.details.append(
                _stroke(f"M{x} 175 L{x + (x - 300) / 20:.1f} 555", p.ink, 1.5, opacity=0.35)
            )
        if not front:
            out.details.append(_fill("M292 120 h16 v12 h-16 Z", p.accent))
        return out
    body = (
        "M230 135 Q300 168 370 135 L455 175 L495 480 L450 492 L420 280 L420 560 L180 560 "
        "L180 280 L150 492 L105 480 L145 175 Z"
    )
    out = Drawing([body])
    for x in range(186, 420, 9):
        out.details.append(_stroke(f"M{x} 528 L{x} 556", p.ink, 2, opacity=0.6))
    for x0 in (108, 452):
        for i in range(5):
            x = x0 + i * 8
            out.details.append(_stroke(f"M{x} 462 L{x - 3} 484", p.ink, 2, opacity=0.6))
    if "cardigan" in name:
        out.details.append(_stroke("M230 135 Q300 168 370 135", p.outline, 10))
        if front:
            out.details.append(_stroke("M300 160 L300 558", p.ink, 3))
            for y in range(200, 520, 70):
                out.details.append(_circle(300, y, 12, "#f6f1e7", outline="#c9bfae"))
        return out
    neck = "M230 135 Q300 168 370 135" if front else "M230 135 Q300 150 370 135"
    out.details.append(_stroke(neck, p.outline, 12))
    if front:
        for cx in (255, 300, 345):
            for y in range(180, 520, 40):
                out.details.append(
                    _stroke(
                        f"M{cx - 12} {y} Q{cx} {y + 20} {cx + 12} {y} "
                        f"M{cx} {y + 10} L{cx} {y + 30}",
                        p.ink,
                        3,
                        opacity=0.55,
                    )
                )
    else:
        out.details.append(_fill("M292 146 h16 v12 h-16 Z", p.accent))
    return out


def _jeans(item: Item, front: bool) -> Drawing:
    p, name = item.palette, item.name.lower()
    if "wide" in name:
        legs = "M198 160 L402 160 L458 622 L320 622 L300 330 L280 622 L142 622 Z"
    else:
        legs = "M198 160 L402 160 L420 622 L318 622 L300 330 L282 622 L180 622 Z"
    out = Drawing([legs, "M200 115 L400 115 L402 160 L198 160 Z"])
    out.details += [
        _stroke("M205 125 L395 125 M205 150 L395 150", COPPER, 1.5, dash="4 3"),
        _stroke("M236 112 v26 M364 112 v26", p.outline, 8),
    ]
    if front:
        out.details += [
            _stroke("M300 160 L300 300", p.ink, 3),
            _stroke("M318 162 L318 270 Q318 296 300 302", COPPER, 2, dash="5 4"),
            _stroke("M200 205 Q242 202 256 162", p.ink, 3),
            _stroke("M400 205 Q358 202 344 162", p.ink, 3),
            _circle(300, 137, 9, COPPER, outline=p.outline),
            _circle(212, 200, 4, COPPER),
            _circle(388, 200, 4, COPPER),
        ]
        if "wide" in name:
            out.details.append(_stroke("M250 170 L212 618 M350 170 L388 618", p.ink, 2, dash="6 4"))
    else:
        pocket = "M214 232 L284 232 L281 302 L249 318 L217 302 Z"
        out.details += [
            _stroke("M198 190 L300 218 L402 190", p.ink, 3),
            _stroke("M300 160 L300 330", p.ink, 2.5),
            _fill(pocket, "none", outline=p.ink, width=3),
            _fill(_mirror_path(pocket), "none", outline=p.ink, width=3),
            _stroke("M230 262 Q249 282 268 262", COPPER, 2),
            _fill("M335 122 h46 v28 h-46 Z", "#a7794a", outline="#6d4a2a", width=2),
        ]
    return out


def _sneakers(item: Item, front: bool) -> Drawing:
    p, name = item.palette, item.name.lower()
    sole = "#c98b4b" if "retro" in name else SOLE
    if not front:
        out = Drawing(["M225 560 L375 560 Q395 440 362 300 Q300 282 238 300 Q205 440 225 560 Z"])
        out.details += [
            _stroke("M240 306 Q300 336 360 306", p.outline, 8),
            _stroke("M300 340 L300 518", p.ink, 2, dash="4 4"),
            _fill("M285 286 h30 v64 h-30 Z", p.accent, outline=p.outline, width=2),
            _fill("M212 520 L388 520 L382 574 L218 574 Z", sole, outline=p.outline, width=2),
        ]
        if "trail" in name:
            out.details.append(_fill("M288 440 h24 v40 h-24 Z", "#e6e8ea"))
        return out
    upper = (
        "M95 505 L92 360 Q95 325 130 322 L195 330 Q225 372 268 366 L330 345 Q395 362 448 398 "
        "Q505 420 512 462 L512 505 Z"
    )
    out = Drawing([upper])
    out.details += [
        _fill(
            "M180 470 Q300 385 432 420 L440 446 Q300 425 192 497 Z",
            p.accent,
            outline=p.outline,
            width=2,
        ),
        _stroke("M440 400 Q468 470 512 478", p.ink, 3),
        _fill("M86 322 h22 v56 h-22 Z", p.outline),
        _fill(
            "M85 505 L515 505 Q525 530 505 552 L105 552 Q80 535 85 505 Z", sole, outline=p.outline
        ),
        _stroke("M100 512 L505 512", p.outline, 1.5, dash="5 4"),
    ]
    for i in range(5):
        x, y = 275 + i * 30, 366 + i * 7
        out.details += [
            _stroke(f"M{x} {y} L{x + 24} {y - 30}", "#f7f7f7", 6),
            _circle(x, y, 4, METAL),
        ]
    if "trail" in name:
        for x in range(110, 500, 28):
            out.details.append(_fill(f"M{x} 552 h16 v10 h-16 Z", p.outline))
    return out


def _bags(item: Item, front: bool) -> Drawing:
    p, name = item.palette, item.name.lower()
    if "crossbody" in name:
        body = (
            "M190 330 H410 Q430 330 430 350 V520 Q430 540 410 540 H190 Q170 540 170 520 V350 "
            "Q170 330 190 330 Z"
        )
        out = Drawing([body])
        for i in range(17):
            t = math.pi * i / 16
            x, y = 300 - 125 * math.cos(t), 335 - 220 * math.sin(t)
            turn = _num(math.degrees(t) + 90 * (i % 2))
            out.details.append(
                _el(
                    "ellipse",
                    cx=x,
                    cy=y,
                    rx=9,
                    ry=6,
                    fill="none",
                    stroke=METAL,
                    stroke_width=3,
                    transform=f"rotate({turn} {_num(x)} {_num(y)})",
                )
            )
        if front:
            out.details += [
                _fill(
                    "M170 350 Q170 330 190 330 H410 Q430 330 430 350 V440 Q300 472 170 440 Z",
                    p.base,
                    outline=p.outline,
                ),
                _fill("M282 438 h36 v26 h-36 Z", METAL, outline=p.outline, width=2),
            ]
        else:
            out.details.append(_stroke("M205 380 H395", p.ink, 3))
        return out
    if "weekender" in name:
        body = (
            "M110 360 Q110 320 150 320 H450 Q490 320 490 360 V560 Q490 580 470 580 H130 "
            "Q110 580 110 560 Z"
        )
        out = Drawing([body])
        out.details += [
            _stroke("M232 322 Q232 225 300 225 Q368 225 368 322", "#7a4b2a", 14),
            _fill(
                "M110 360 Q110 320 150 320 H170 V580 H130 Q110 580 110 560 Z",
                "#a7794a",
                outline=p.outline,
            ),
            _fill(
                "M490 360 Q490 320 450 320 H430 V580 H470 Q490 580 490 560 Z",
                "#a7794a",
                outline=p.outline,
            ),
        ]
        if front:
            out.details += [
                _stroke("M175 340 H425", "#c8ccd2", 5, dash="3 2"),
                _fill("M400 336 h12 v30 h-12 Z", METAL),
            ]
        else:
            out.details.append(_fill("M190 400 H410 V500 H190 Z", "none", outline=p.ink, width=3))
        return out
    out = Drawing(["M150 290 L450 290 L485 600 L115 600 Z"])
    out.details += [
        _stroke("M205 292 Q205 140 300 140 Q395 140 395 292", p.outline, 20),
        _stroke("M205 292 Q205 140 300 140 Q395 140 395 292", p.base, 14),
        _stroke("M152 306 L448 306", p.ink, 2, dash="5 4"),
    ]
    if front:
        out.details.append(_fill("M240 330 h120 v70 h-120 Z", p.accent, outline=p.outline, width=2))
    else:
        out.details.append(_stroke("M170 420 L430 420", p.ink, 3))
    return out


def _sunglasses(item: Item, front: bool) -> Drawing:
    p, name = item.palette, item.name.lower()
    if "aviator" in name:
        lens = "M110 360 Q200 340 285 362 Q295 420 250 470 Q200 500 150 475 Q100 440 110 360 Z"
        glass = "#2f4f3a"
    else:
        lens = "M95 370 Q150 325 285 352 Q290 430 240 455 Q160 470 115 430 Q90 400 95 370 Z"
        glass = "#2b2b30"
    right = _mirror_path(lens)
    out = Drawing([lens, right])
    out.details += [
        f'<defs><linearGradient id="lens" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{glass}"/>'
        f'<stop offset="1" stop-color="{_mix(glass, "#ffffff", 0.35)}"/></linearGradient></defs>',
        _shrunk(_fill(lens, "url(#lens)"), 195, 403, 0.86),
        _shrunk(_fill(right, "url(#lens)"), 405, 403, 0.86),
        _stroke("M280 368 Q300 350 320 368", p.base, 10),
    ]
    if "aviator" in name:
        out.details.append(_stroke("M270 345 Q300 335 330 345", p.base, 5))
    if front:
        out.details.append(_stroke("M95 372 L72 366 M505 372 L528 366", p.outline, 8))
        out.details.append(_stroke("M130 390 Q150 372 180 372", "#ffffff", 4, opacity=0.35))
    else:
        out.details += [
            _stroke("M86 376 Q250 372 430 398", p.outline, 9),
            _stroke("M514 376 Q350 372 170 402", p.outline, 9),
            f'<text x="300" y="520" text-anchor="middle" font-family="{FONT}" font-size="16" '
            f'fill="{p.backdrop_text}" letter-spacing="3">UV400 · CAT 3</text>',
        ]
    return out


def _scarves(item: Item, front: bool) -> Drawing:
    p, name = item.palette, item.name.lower()
    if "wrap" in name:
        length = 600 if front else 420
        out = Drawing([f"M205 110 L395 110 L395 {length} L205 {length} Z"])
        for y in range(150, length, 70):
            out.details.append(_stroke(f"M205 {y} H395", p.ink, 6, opacity=0.4))
        for x in range(209, 395, 9):
            out.details.append(_stroke(f"M{x} {length} L{x} {length + 34}", p.base, 3))
            if not front:
                out.details.append(_stroke(f"M{x} 110 L{x} 76", p.base, 3))
        out.details.append(_stroke(f"M300 112 L300 {length}", p.outline, 2, opacity=0.4))
        return out
    if not front:
        out = Drawing(["M110 210 L490 210 L300 560 Z"])
        out.details += [
            _stroke("M126 224 L474 224 L300 540 Z", p.accent, 10),
            _stroke("M110 212 L490 212", p.outline, 6),
        ]
        return out
    out = Drawing(["M120 150 L480 150 L480 510 L120 510 Z"])
    out.details += [
        _stroke("M140 170 L460 170 L460 490 L140 490 Z", p.accent, 14),
        _circle(300, 330, 70, "none", outline=p.ink, width=6),
    ]
    for i in range(8):
        angle = i * 45
        out.details.append(
            f'<ellipse cx="300" cy="235" rx="20" ry="48" fill="{p.accent}" fill-opacity="0.85" '
            f'transform="rotate({angle} 300 330)"/>'
        )
    out.details.append(_circle(300, 330, 24, p.ink))
    return out


def _jewelry(item: Item, front: bool) -> Drawing:
    p, name = item.palette, item.name.lower()
    out = Drawing()
    pearl = (
        '<radialGradient id="pearl" cx="0.35" cy="0.3" r="0.8">'
        '<stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="#d8cfc0"/>'
        "</radialGradient>"
    )
    out.details.append(f"<defs>{pearl}</defs>")
    if "earring" in name:
        for cx in (210, 390):
            out.details.append(_circle(cx, 300, 56, "none", outline=p.base, width=11))
            if front:
                out.details.append(
                    _el(
                        "ellipse", cx=cx, cy=412, rx=34, ry=42, fill="url(#pearl)", stroke="#c9bfae"
                    )
                )
                out.details.append(_stroke(f"M{cx} 356 L{cx} 372", p.base, 5))
            else:
                out.details += [
                    _stroke(f"M{cx} 244 L{cx} 200", p.base, 5),
                    _fill(f"M{cx - 22} 196 h44 v10 h-44 Z", p.base, outline=p.outline, width=2),
                ]
        return out
    if "necklace" in name:
        count = 24
        for i in range(count + 1):
            t = math.pi * i / count
            x, y = 300 - 190 * math.cos(t), 170 + 330 * math.sin(t)
            turn = _num(math.degrees(t) + 90 + 40 * (i % 2))
            out.details.append(
                _el(
                    "ellipse",
                    cx=x,
                    cy=y,
                    rx=20,
                    ry=13,
                    fill="none",
                    stroke=p.base,
                    stroke_width=7,
                    transform=f"rotate({turn} {_num(x)} {_num(y)})",
                )
            )
        clasp_y = 165 if front else 330
        out.details.append(
            _fill(f"M96 {clasp_y} h40 v20 h-40 Z", p.base, outline=p.outline, width=2)
        )
        return out
    face_y = 290 if front else 560
    out.details += [
        _el(
            "ellipse",
            cx=300,
            cy=420,
            rx=130,
            ry=150,
            fill="none",
            stroke=p.outline,
            stroke_width=40,
        ),
        _el("ellipse", cx=300, cy=420, rx=130, ry=150, fill="none", stroke=p.base, stroke_width=32),
        _el(
            "ellipse",
            cx=300,
            cy=face_y,
            rx=92,
            ry=56,
            fill=p.base,
            stroke=p.outline,
            stroke_width=3,
        ),
        _el("ellipse", cx=280, cy=face_y - 14, rx=40, ry=14, fill="#ffffff", fill_opacity=0.45),
    ]
    if not front:
        out.details.append(
            f'<text x="300" y="428" text-anchor="middle" font-family="{FONT}" font-size="22" '
            f'fill="{p.backdrop_text}" letter-spacing="4">925</text>'
        )
    return out


SILHOUETTES: dict[str, Callable[[Item, bool], Drawing]] = {
    "bags": _bags,
    "dresses": _dress,
    "jackets": _jacket,
    "jeans": _jeans,
    "jewelry": _jewelry,
    "knitwear": _knitwear,
    "scarves": _scarves,
    "sneakers": _sneakers,
    "sunglasses": _sunglasses,
}


# --- textures and the detail view --------------------------------------------------------------


def _material(product: dict[str, Any]) -> str:
    for text in (product["name"].lower(), product["description"].lower()):
        for material, words in MATERIALS:
            if any(word in text for word in words):
                return material
    return "weave"


def _texture(material: str, palette: Palette, seed: str, scale: float, pattern_id: str) -> str:
    """An SVG ``<pattern>`` evoking the material, drawn in the product's ink colour."""
    ink, angle = palette.ink, _num(-20 + 40 * _unit(seed, "angle"))
    size, body = {
        "mesh": (14, f'<circle cx="7" cy="7" r="3.2" fill="{ink}" fill-opacity="0.45"/>'),
        "weave": (
            12,
            f'<path d="M0 3H12M0 9H12" stroke="{ink}" stroke-width="1.6" stroke-opacity="0.35"/>'
            f'<path d="M3 0V12M9 0V12" stroke="{ink}" stroke-width="1" stroke-opacity="0.25"/>',
        ),
        "twill": (
            10,
            f'<path d="M0 10L10 0M-5 5L5 -5M5 15L15 5" stroke="{ink}" stroke-width="2.2" '
            'stroke-opacity="0.4"/>',
        ),
        "knit": (
            16,
            f'<path d="M0 0L8 10L16 0M0 7L8 17L16 7" fill="none" stroke="{ink}" '
            'stroke-width="2" stroke-opacity="0.4"/>',
        ),
        "sheen": (
            80,
            '<path d="M-20 100L100 -20" stroke="#ffffff" stroke-width="22" stroke-opacity="0.16"/>'
            '<path d="M20 100L100 20" stroke="#ffffff" stroke-width="6" stroke-opacity="0.12"/>',
        ),
        "grain": (
            40,
            "".join(
                _el(
                    "circle",
                    cx=40 * _unit(seed, f"gx{i}"),
                    cy=40 * _unit(seed, f"gy{i}"),
                    r=0.8 + 1.6 * _unit(seed, f"gr{i}"),
                    fill=ink,
                    fill_opacity=0.3,
                )
                for i in range(18)
            ),
        ),
        "metal": (6, '<path d="M0 2H6" stroke="#ffffff" stroke-width="1" stroke-opacity="0.25"/>'),
    }[material]
    return (
        f'<pattern id="{pattern_id}" width="{size}" height="{size}" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate({angle}) scale({_num(scale)})">{body}</pattern>'
    )


def _hardware(item: Item) -> list[str]:
    """The close-up's subject: the construction detail a buyer would zoom in on."""
    p, name = item.palette, item.name.lower()
    match item.category:
        case "jackets" | "dresses":
            if "biker" in name:
                teeth = [
                    _fill(f"M{280 + 16 * (i % 2)} {150 + 22 * i} h24 v12 h-24 Z", "#c8ccd2")
                    for i in range(19)
                ]
                return [*teeth, _fill("M298 420 h22 v80 h-22 Z", "#c8ccd2", outline=p.outline)]
            return [
                _fill(
                    "M180 300 Q180 270 210 270 H250 Q280 270 280 300 Q280 330 250 330 H210 "
                    "Q180 330 180 300 Z",
                    _mix(p.base, "#000000", 0.25),
                ),
                _circle(390, 300, 72, _mix(p.accent, METAL, 0.5), outline=p.outline, width=4),
                *(
                    _circle(390 + dx, 300 + dy, 9, p.outline)
                    for dx, dy in ((-18, -18), (18, -18), (-18, 18), (18, 18))
                ),
            ]
        case "knitwear":
            ribs = [
                _stroke(f"M{x} 470 L{x} 600", p.ink, 9, opacity=0.6) for x in range(60, 560, 22)
            ]
            if "cardigan" in name:
                button = [
                    _circle(300, 320, 56, "#f6f1e7", outline="#c9bfae", width=4),
                    _circle(286, 306, 14, "#ffffff"),
                ]
                return [*ribs, *button]
            cable = "M250 120 Q350 180 250 240 Q150 300 250 360 Q350 420 250 480"
            return [*ribs, _stroke(cable, p.outline, 34), _stroke(cable, p.base, 24)]
        case "jeans":
            return [
                _stroke("M120 200 Q300 260 480 200", COPPER, 4, dash="12 8"),
                _stroke("M120 222 Q300 282 480 222", COPPER, 4, dash="12 8"),
                _circle(300, 380, 46, COPPER, outline="#7a4a1e", width=5),
                _circle(300, 380, 18, "#e0a06a"),
                _fill("M360 470 h170 v110 h-170 Z", "#a7794a", outline="#6d4a2a", width=4),
            ]
        case "sneakers":
            lace = _stroke("M100 250 Q300 340 500 300 M120 440 Q300 360 500 470", "#f7f7f7", 26)
            return [
                lace,
                *(_circle(x, 360, 30, METAL, outline=p.outline, width=5) for x in (190, 300, 410)),
                *(_circle(x, 360, 14, p.outline) for x in (190, 300, 410)),
            ]
        case "bags":
            teeth = [
                _fill(f"M{60 + 24 * i} {330 + 12 * (i % 2)} h14 v24 h-14 Z", "#c8ccd2")
                for i in range(21)
            ]
            return [
                *teeth,
                _fill("M330 360 h50 v140 Q355 520 330 500 Z", METAL, outline=p.outline, width=3),
            ]
        case "sunglasses":
            return [
                _fill("M60 330 H330 V390 H60 Z", p.base, outline=p.outline),
                *(
                    _fill(
                        f"M{330 + 28 * i} 322 h24 v76 h-24 Z", "#c8ccd2", outline=p.outline, width=2
                    )
                    for i in range(3)
                ),
                _fill("M414 330 H560 V390 H414 Z", p.base, outline=p.outline),
            ]
        case "scarves":
            stitches = [_stroke(f"M{x} 470 L{x + 14} 500", p.ink, 3) for x in range(70, 540, 26)]
            return [_fill("M40 480 H560 V560 H40 Z", _mix(p.base, "#000000", 0.15)), *stitches]
        case _:
            return [
                _circle(
                    300,
                    360,
                    110,
                    "url(#pearl)" if "earring" in name else p.base,
                    outline=p.outline,
                    width=5,
                ),
                _circle(260, 320, 26, "#ffffff"),
            ]


# --- composition -------------------------------------------------------------------------------


def _frame(
    product: dict[str, Any], palette: Palette, view_index: int, title: str, body: list[str]
) -> str:
    view = VIEWS[view_index]
    name = escape(product["name"])
    name_size = 30 if len(product["name"]) <= 24 else 26
    swatches = "".join(
        _circle(560 - 26 * i, 758, 9, colour, outline="#00000033", width=1.5)
        for i, colour in enumerate(palette.swatches)
    )
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 800" width="600" '
            'height="800" role="img" aria-labelledby="title">',
            f'<title id="title">{escape(title)}</title>',
            "<defs>",
            '<linearGradient id="backdrop" x1="0" y1="0" x2="0" y2="1">'
            f'<stop offset="0" stop-color="{palette.backdrop_top}"/>'
            f'<stop offset="1" stop-color="{palette.backdrop_bottom}"/></linearGradient>',
            "</defs>",
            '<rect width="600" height="800" fill="url(#backdrop)"/>',
            f'<text x="40" y="56" font-family="{FONT}" font-size="15" font-weight="600" '
            f'letter-spacing="5" fill="{palette.backdrop_text}">'
            f"{escape(product['brand'].upper())}</text>",
            _el(
                "rect",
                x=498,
                y=34,
                width=62,
                height=30,
                rx=15,
                fill=palette.backdrop_text,
                fill_opacity=0.15,
            ),
            f'<text x="529" y="55" text-anchor="middle" font-family="{FONT}" font-size="15" '
            f'fill="{palette.backdrop_text}">{view_index + 1}/3</text>',
            *body,
            '<rect y="650" width="600" height="150" fill="#ffffff" fill-opacity="0.94"/>',
            f'<text x="40" y="690" font-family="{FONT}" font-size="14" letter-spacing="3" '
            'fill="#7a7a7a">'
            f"{escape(product['category'].upper())}</text>",
            f'<text x="40" y="728" font-family="{FONT}" font-size="{name_size}" font-weight="700" '
            f'fill="#1c1c1c">{name}</text>',
            f'<text x="40" y="764" font-family="{FONT}" font-size="18" fill="#555555">'
            f"close-up {view_index + 1}/3 · {view}</text>",
            swatches,
            "</svg>",
            "",
        ]
    )


def _silhouette(drawing: Drawing, palette: Palette, pattern: str) -> list[str]:
    elements = [_fill(d, palette.base, outline=palette.outline) for d in drawing.shapes]
    elements += [_fill(d, f"url(#{pattern})") for d in drawing.shapes]
    return elements + drawing.details


def render(product: dict[str, Any], view_index: int, title: str) -> str:
    """The SVG document of one view of ``product``."""
    palette = Palette.of(product)
    item = Item(product["name"], product["category"], palette)
    draw = SILHOUETTES[product["category"]]
    material = _material(product)
    seed = product["id"]
    shadow = '<ellipse cx="300" cy="632" rx="200" ry="14" fill="#000000" fill-opacity="0.14"/>'
    if VIEWS[view_index] != "detail":
        drawing = draw(item, VIEWS[view_index] == "front")
        body = [
            f"<defs>{_texture(material, palette, seed, 1.0, 'tex')}</defs>",
            shadow,
            *_silhouette(drawing, palette, "tex"),
        ]
        return _frame(product, palette, view_index, title, body)
    cx, cy = 300, 360
    seam_tilt = _num(-60 + 120 * _unit(seed, "seam"))
    thumb = _silhouette(draw(item, True), palette, "tex")
    marker_x, marker_y = _num(200 + 200 * _unit(seed, "mx")), _num(250 + 250 * _unit(seed, "my"))
    body = [
        "<defs>",
        _texture(material, palette, seed, 1.0, "tex"),
        _texture(material, palette, seed, 3.2, "texbig"),
        f'<clipPath id="loupe"><circle cx="{cx}" cy="{cy}" r="245"/></clipPath>',
        "</defs>",
        '<g clip-path="url(#loupe)">',
        f'<rect width="600" height="800" fill="{palette.base}"/>',
        '<rect width="600" height="800" fill="url(#texbig)"/>',
        f'<g transform="rotate({seam_tilt} {cx} {cy})">',
        _stroke("M0 560 Q300 520 600 560", palette.outline, 3),
        _stroke("M0 578 Q300 538 600 578", palette.ink, 3, dash="10 8"),
        "</g>",
        *_hardware(item),
        "</g>",
        _circle(cx, cy, 245, "none", outline="#ffffff", width=10),
        _circle(cx, cy, 251, "none", outline="#00000033", width=2),
        '<g transform="translate(448 82) scale(0.22)">',
        '<rect width="600" height="700" rx="40" fill="#ffffff" fill-opacity="0.9"/>',
        *thumb,
        _circle(float(marker_x), float(marker_y), 60, "none", outline="#e5484d", width=12),
        "</g>",
    ]
    return _frame(product, palette, view_index, title, body)


def main() -> None:
    """Write every image products.json references and delete the ones it no longer does."""
    products: list[dict[str, Any]] = json.loads(PRODUCTS_JSON.read_text(encoding="utf-8"))
    IMAGES_DIR.mkdir(parents=True, exist_ok=True)
    written: set[Path] = set()
    for product in products:
        if len(product["images"]) != len(VIEWS):
            raise SystemExit(f"{product['id']}: expected {len(VIEWS)} images (front, detail, back)")
        for index, image in enumerate(product["images"]):
            url: str = image["url"]
            if not url.startswith(URL_PREFIX) or not url.endswith(".svg"):
                raise SystemExit(
                    f"{product['id']}: image url {url!r} is not {URL_PREFIX}<file>.svg"
                )
            path = IMAGES_DIR / url.removeprefix(URL_PREFIX)
            path.write_text(render(product, index, image["alt"]), encoding="utf-8")
            written.add(path)
    stale = sorted(set(IMAGES_DIR.glob("*.svg")) - written)
    for path in stale:
        path.unlink()
    print(
        f"wrote {len(written)} images to {IMAGES_DIR.relative_to(ROOT)}, removed {len(stale)} stale"
    )


if __name__ == "__main__":
    main()
