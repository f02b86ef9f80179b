"""Outgoing webhooks' adapters: sealed signing secrets, Standard Webhooks signatures, the HTTP
sender and the delivery log."""
