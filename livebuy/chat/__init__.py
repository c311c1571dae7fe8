"""Live chat and reactions: validation, rate limits, moderation, batching and sampling."""
