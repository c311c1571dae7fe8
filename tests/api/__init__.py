"""HTTP edge: errors, request ids, limits, the OpenAPI contract."""
