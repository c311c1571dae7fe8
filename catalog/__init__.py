"""The product catalog: models, the demo catalog, its Redis loader and the read-side store."""
