"""Adapters that talk to Redis: rate limits, shared slots, the idempotency cache and
the saga broker."""
