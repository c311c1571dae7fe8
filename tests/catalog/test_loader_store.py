"""Loading the catalog into Redis and reading it back through ``CatalogStore``."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from catalog.demo import load_demo_catalog
from catalog.loader import load_catalog
from catalog.models import Product
from catalog.store import CatalogStore
from livebuy.errors import InvalidInputError, ProductNotFoundError
from livebuy.redis import keys
from livebuy.services import catalog_store


@pytest.fixture
async def store(redis: Redis) -> CatalogStore:
    """A store over Redis holding the demo catalog."""
    await load_catalog(redis, load_demo_catalog())
    return catalog_store(redis)


async def test_load_writes_products_index_and_inventory(redis: Redis) -> None:
    """Each product's JSON, its index position and each SKU's full inventory hash are written."""
    products = load_demo_catalog()
    await load_catalog(redis, products)
    first = products[0]
    stored = await redis.get(keys.catalog_product(first.id))
    assert stored is not None and Product.model_validate_json(stored) == first
    assert await redis.zrange(keys.catalog_index(), 0, -1) == [p.id for p in products]
    variant = first.variants[0]
    assert await redis.hgetall(keys.inventory(variant.sku)) == {
        "available": str(variant.stock),
        "reserved": "0",
        "sold": "0",
        "initial": str(variant.stock),
        "restocked": "0",
    }


async def test_reload_does_not_reset_stock_changed_during_a_show(redis: Redis) -> None:
    """Reloading keeps inventory that moved since the first load; nothing else changes either."""
    products = load_demo_catalog()
    await load_catalog(redis, products)
    sku = products[3].variants[0].sku
    await redis.hincrby(keys.inventory(sku), "available", -3)
    await redis.hincrby(keys.inventory(sku), "sold", 3)
    before = {key: await redis.dump(key) for key in await redis.keys("*")}

    await load_catalog(redis, products)

    assert {key: await redis.dump(key) for key in await redis.keys("*")} == before
    inventory = await redis.hgetall(keys.inventory(sku))
    assert int(inventory["available"]) == products[3].variants[0].stock - 3
    assert inventory["sold"] == "3"


async def test_reload_updates_product_documents(redis: Redis) -> None:
    """A reload with edited products overwrites their documents but not their stock."""
    products = load_demo_catalog()
    await load_catalog(redis, products)
    sku = products[0].variants[0].sku
    await redis.hincrby(keys.inventory(sku), "available", -1)
    renamed = products[0].model_copy(update={"name": "Renamed"})

    await load_catalog(redis, [renamed, *products[1:]])

    store = CatalogStore(redis)
    card = await store.get_card(renamed.id)
    assert card.name == "Renamed"
    assert card.stock[0].available == products[0].variants[0].stock - 1


async def test_get_product_returns_the_loaded_product(store: CatalogStore) -> None:
    """``get_product`` gives back exactly the product that was loaded."""
    product = load_demo_catalog()[5]
    assert await store.get_product(product.id) == product


async def test_get_card_shows_live_stock(redis: Redis, store: CatalogStore) -> None:
    """A card reflects the inventory hashes as they are now, not the loaded stock."""
    product = load_demo_catalog()[0]
    sku = product.variants[1].sku
    await redis.hincrby(keys.inventory(sku), "available", -2)
    await redis.hincrby(keys.inventory(sku), "reserved", 1)
    await redis.hincrby(keys.inventory(sku), "sold", 1)

    card = await store.get_card(product.id)

    assert [s.sku for s in card.stock] == [v.sku for v in product.variants]
    changed = card.stock[1]
    assert (changed.available, changed.reserved, changed.sold) == (
        product.variants[1].stock - 2,
        1,
        1,
    )
    assert card.available == sum(v.stock for v in product.variants) - 2


async def test_sku_without_inventory_reports_zero_stock(redis: Redis, store: CatalogStore) -> None:
    """A SKU whose inventory hash is missing shows as nothing available rather than failing."""
    product = load_demo_catalog()[0]
    await redis.delete(keys.inventory(product.variants[0].sku))
    card = await store.get_card(product.id)
    assert card.stock[0].available == card.stock[0].reserved == card.stock[0].sold == 0


async def test_get_cards_keeps_the_requested_order(store: CatalogStore) -> None:
    """Cards come back in the order their ids were asked for."""
    ids = [p.id for p in load_demo_catalog()][::-3]
    assert [card.id for card in await store.get_cards(ids)] == ids
    assert await store.get_cards([]) == []


async def test_get_cards_reads_a_batch_in_one_pipeline_of_gets(
    redis: Redis, store: CatalogStore
) -> None:
    """A batch's products are read by one GET each in one pipeline, never by an MGET (products
    are in many cluster slots, and a cluster refuses an MGET across them)."""
    ids = [p.id for p in load_demo_catalog()][:5]
    await redis.config_resetstat()
    await store.get_cards(ids)
    stats = await redis.info("commandstats")
    assert stats["cmdstat_get"]["calls"] == len(ids)
    assert "cmdstat_mget" not in stats


@pytest.mark.parametrize("method", ["get_product", "get_card"])
async def test_unknown_product_raises_not_found(store: CatalogStore, method: str) -> None:
    """Asking for an id that was never loaded raises ``ProductNotFoundError`` naming it."""
    with pytest.raises(ProductNotFoundError, match="unknown product 'no-such-thing'") as caught:
        await getattr(store, method)("no-such-thing")
    assert caught.value.to_json()["product_id"] == "no-such-thing"


async def test_get_cards_with_one_unknown_id_raises_not_found(store: CatalogStore) -> None:
    """One unknown id among known ones fails the whole batch."""
    known = load_demo_catalog()[0].id
    with pytest.raises(ProductNotFoundError, match="'ghost'"):
        await store.get_cards([known, "ghost"])


async def test_list_cards_pages_in_catalog_order(store: CatalogStore) -> None:
    """Pages follow catalog order, report the full total, and the last page may be short."""
    ids = [p.id for p in load_demo_catalog()]
    first, total = await store.list_cards(0, 10)
    second, _ = await store.list_cards(10, 10)
    last, _ = await store.list_cards(20, 10)
    assert total == len(ids)
    assert [c.id for c in first + second + last] == ids
    assert len(last) == len(ids) - 20
    beyond, total_beyond = await store.list_cards(len(ids), 5)
    assert beyond == [] and total_beyond == len(ids)


async def test_list_cards_on_an_empty_catalog(redis: Redis) -> None:
    """Before any load the catalog is an empty page with total 0."""
    assert await CatalogStore(redis).list_cards(0, 20) == ([], 0)


@pytest.mark.parametrize(("offset", "limit"), [(-1, 10), (0, 0), (0, -5)])
async def test_list_cards_rejects_bad_bounds(store: CatalogStore, offset: int, limit: int) -> None:
    """A negative offset or a limit below 1 is invalid input (limit 0 would read everything)."""
    with pytest.raises(InvalidInputError):
        await store.list_cards(offset, limit)


async def test_product_ids_lists_every_loaded_product(store: CatalogStore) -> None:
    """``product_ids`` is the set of all loaded ids."""
    assert await store.product_ids() == {p.id for p in load_demo_catalog()}
