"""Catalog models and the shipped demo catalog."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from pydantic import ValidationError

from catalog.demo import demo_images_dir, load_demo_catalog
from catalog.models import Money, Product, ProductCard, VariantStock

SVG = "{http://www.w3.org/2000/svg}svg"


def product_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "test-dress",
        "name": "Test Dress",
        "brand": "Testwear",
        "description": "A dress for tests.",
        "category": "dresses",
        "price": {"amount": 9900, "currency": "EUR"},
        "variants": [
            {"sku": "TST-DRS-S", "size": "S", "color": None, "stock": 10},
            {"sku": "TST-DRS-M", "size": "M", "color": None, "stock": 20},
        ],
        "images": [{"url": "/catalog/images/test-dress-1.svg", "alt": "Front"}],
    }
    data.update(overrides)
    return data


def test_demo_catalog_has_at_least_20_products_with_unique_ids() -> None:
    """The demo catalog is big enough for a show and no two products share an id."""
    products = load_demo_catalog()
    assert len(products) >= 20
    assert len({p.id for p in products}) == len(products)


def test_demo_skus_are_unique_across_the_catalog() -> None:
    """A SKU names one inventory hash, so it may appear in only one variant of one product."""
    skus = [v.sku for p in load_demo_catalog() for v in p.variants]
    assert len(skus) == len(set(skus))


def test_demo_stock_and_variants_are_in_range() -> None:
    """Every product has 2-6 variants stocked 5-300, and at least two are low-stock flash deals."""
    products = load_demo_catalog()
    for product in products:
        assert 2 <= len(product.variants) <= 6, product.id
        assert all(5 <= v.stock <= 300 for v in product.variants), product.id
    low = [p.id for p in products if all(v.stock <= 10 for v in p.variants)]
    assert len(low) >= 2


def test_demo_images_exist_and_are_valid_svg() -> None:
    """Each product has three images, each one an SVG file in the served images directory."""
    images_dir = demo_images_dir()
    for product in load_demo_catalog():
        assert len(product.images) == 3, product.id
        for image in product.images:
            assert image.url.startswith("/catalog/images/")
            path = images_dir / image.url.removeprefix("/catalog/images/")
            assert path.is_file(), path
            root = ET.parse(path).getroot()
            assert root.tag == SVG, path
            assert root.get("viewBox") == "0 0 600 800", path


def test_load_demo_catalog_returns_independent_lists() -> None:
    """Mutating the returned list does not change what the next caller gets."""
    first = load_demo_catalog()
    first.clear()
    assert load_demo_catalog()


def test_variant_lookup_by_sku() -> None:
    """``Product.variant`` finds a variant by SKU and returns None for a foreign SKU."""
    product = Product.model_validate(product_data())
    found = product.variant("TST-DRS-M")
    assert found is not None and found.size == "M"
    assert product.variant("NOPE-123") is None


def test_duplicate_sku_is_rejected() -> None:
    """Two variants of one product may not share a SKU."""
    variant = {"sku": "TST-DUP", "size": "S", "color": None, "stock": 1}
    with pytest.raises(ValidationError, match="duplicate sku 'TST-DUP'"):
        Product.model_validate(product_data(variants=[variant, variant]))


def test_negative_stock_is_rejected() -> None:
    """Stock cannot be negative."""
    variants = [{"sku": "TST-NEG", "size": None, "color": None, "stock": -1}]
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        Product.model_validate(product_data(variants=variants))


@pytest.mark.parametrize("currency", ["eur", "EURO", "E1R", ""])
def test_bad_currency_is_rejected(currency: str) -> None:
    """A currency is three upper-case letters."""
    with pytest.raises(ValidationError):
        Money(amount=100, currency=currency)


def test_negative_amount_is_rejected() -> None:
    """Money amounts are non-negative minor units."""
    with pytest.raises(ValidationError):
        Money(amount=-1, currency="EUR")


def test_variant_price_in_another_currency_is_rejected() -> None:
    """A variant's price override must be in the product's currency."""
    variants = [
        {
            "sku": "TST-USD",
            "size": None,
            "color": None,
            "stock": 1,
            "price": {"amount": 1, "currency": "USD"},
        }
    ]
    with pytest.raises(ValidationError, match="priced in USD"):
        Product.model_validate(product_data(variants=variants))


@pytest.mark.parametrize(
    "overrides",
    [
        {"id": "Bad Id"},
        {"variants": []},
        {"images": []},
        {"variants": [{"sku": "lower-case", "size": None, "color": None, "stock": 1}]},
        {"unexpected": True},
    ],
)
def test_malformed_products_are_rejected(overrides: dict[str, Any]) -> None:
    """Bad ids and SKUs, empty variant or image lists and unknown fields fail validation."""
    with pytest.raises(ValidationError):
        Product.model_validate(product_data(**overrides))


def test_models_are_frozen() -> None:
    """Products are immutable once validated."""
    product = Product.model_validate(product_data())
    with pytest.raises(ValidationError):
        product.name = "Renamed"  # type: ignore[misc]


def test_card_sums_available_and_survives_a_json_round_trip() -> None:
    """A card's ``available`` is the sum over its variants and the card re-parses from its JSON."""
    product = Product.model_validate(product_data())
    stock = [
        VariantStock(sku="TST-DRS-S", available=7, reserved=2, sold=1),
        VariantStock(sku="TST-DRS-M", available=20, reserved=0, sold=0),
    ]
    card = ProductCard.build(product, stock)
    assert card.available == 27
    assert ProductCard.model_validate_json(card.model_dump_json()) == card


def test_card_with_inconsistent_stock_is_rejected() -> None:
    """A card whose total or SKU list disagrees with its stock does not validate."""
    product = Product.model_validate(product_data())
    stock = [
        VariantStock(sku="TST-DRS-S", available=7, reserved=0, sold=0),
        VariantStock(sku="TST-DRS-M", available=1, reserved=0, sold=0),
    ]
    data = product.model_dump()
    with pytest.raises(ValidationError, match="stock sums to 8"):
        ProductCard.model_validate({**data, "stock": stock, "available": 9})
    with pytest.raises(ValidationError, match="variants' SKUs"):
        ProductCard.model_validate({**data, "stock": stock[:1], "available": 7})
