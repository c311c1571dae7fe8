"""HTTP routers: thin handlers that parse with pydantic, call a service and return a model."""
