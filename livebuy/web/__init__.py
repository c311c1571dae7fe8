"""The viewer page and the producer console: static files served by livebuy itself (no CDN)."""
