"""Every Lua script's KEYS and ARGV agree, by name and position, with their Python declaration."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import fields
from pathlib import Path

import livebuy
from livebuy.redis.scripts import LuaScript, is_variadic

# Wrapped by hand in order_scripts.py / chat_scripts.py (variable key lists, refusal outcomes).
HAND_WRAPPED = {
    # Run after the step scripts it composes (order_scripts.whole_order_source).
    "order_create",
    "order_open",
    "order_confirm",
    "order_sync",
    "stock_hold",
    "deal_hold",
    "coupon_hold",
    "sales_count",
    "order_pay",
    "order_release",
    "order_refund",
    "chat_post",
    "reaction_add",
    # The hold scripts' library of functions (order_holds.py puts it before deal/coupon_hold).
    "hold_lib",
}
HEADER = re.compile(r"^local (\w+) = .*\b(KEYS|ARGV)\[(\d+)\]", re.MULTILINE)
PACKAGE_DIR = Path(livebuy.__file__).parent


def _declared() -> dict[str, LuaScript[object, object]]:
    for module in pkgutil.walk_packages([str(PACKAGE_DIR)], "livebuy."):
        if not module.name.endswith("__main__"):  # runs the CLI
            importlib.import_module(module.name)
    return {script.name: script for script in LuaScript.declared}


def _header(path: Path) -> tuple[list[str], list[str]]:
    """The names the script copies KEYS[1..] and ARGV[1..] into, in order."""
    names: dict[str, dict[int, str]] = {"KEYS": {}, "ARGV": {}}
    for local, table, index in HEADER.findall(path.read_text()):
        names[table][int(index)] = local
    keys = [names["KEYS"][i].removesuffix("_key") for i in range(1, len(names["KEYS"]) + 1)]
    args = [names["ARGV"][i] for i in range(1, len(names["ARGV"]) + 1)]
    return keys, args


def _named(declaration: object) -> list[str]:
    """The declaration's field names but a ``variadic()`` tail, which must come last."""
    declared = fields(declaration)  # type: ignore[arg-type]
    assert not any(is_variadic(field) for field in declared[:-1]), declaration
    return [field.name for field in declared if not is_variadic(field)]


def test_every_script_is_declared_by_name() -> None:
    """Each ``.lua`` file is a declared ``LuaScript``, a declared script's prelude (a library of
    functions), or one of the hand-written wrappers."""
    on_disk = {path.stem for path in PACKAGE_DIR.rglob("*.lua")}
    declared = _declared()
    preludes = {script.prelude[1] for script in declared.values() if script.prelude}
    assert on_disk - HAND_WRAPPED == set(declared) | preludes


def test_declarations_match_the_scripts_headers() -> None:
    """Field names and order of each declaration equal the locals the script copies into."""
    mismatched = {}
    for name, script in _declared().items():
        path = PACKAGE_DIR / script.package.removeprefix("livebuy.").replace(".", "/")
        declared = (_named(script.keys), _named(script.args))
        if declared != _header(path / f"{name}.lua"):
            mismatched[name] = (declared, _header(path / f"{name}.lua"))
    assert mismatched == {}
