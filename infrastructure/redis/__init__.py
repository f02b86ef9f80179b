"""Adapters that talk to Redis: rate limits, shared slots, the feed's announcements and the
saga broker."""
