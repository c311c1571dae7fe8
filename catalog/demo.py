"""The demo catalog shipped with the package: a fashion show's 24 products and their images."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import TypeAdapter

from catalog.models import Product

_PRODUCTS = TypeAdapter(tuple[Product, ...])


@cache
def _demo_products() -> tuple[Product, ...]:
    text = resources.files("catalog").joinpath("data", "products.json").read_text(encoding="utf-8")
    return _PRODUCTS.validate_json(text)


def load_demo_catalog() -> list[Product]:
    """The demo products in catalog order; parsed once, each call gets its own list."""
    return list(_demo_products())


def demo_images_dir() -> Path:
    """Directory of the demo images, served at ``/catalog/images``."""
    images = resources.files("catalog").joinpath("images")
    # Static file serving needs a real directory, which a zipped install would not have.
    if not isinstance(images, Path) or not images.is_dir():
        raise RuntimeError(f"catalog images are not a directory on disk: {images}")
    return images
