"""The gala layer: games inside a show."""
