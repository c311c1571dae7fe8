"""The push gateway: websocket endpoint, per-show hubs and per-viewer connections."""
