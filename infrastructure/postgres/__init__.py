"""Adapters that talk to PostgreSQL: the pool and migrations, the event store, idempotency
records, advisory-lock leadership and the deposit feed's cursors."""
