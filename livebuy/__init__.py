"""livebuy: the backend of a live-commerce "see now, buy now" event."""

__version__ = "0.1.0"
