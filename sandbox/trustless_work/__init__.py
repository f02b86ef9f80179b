"""The Trustless Work V1 simulator: REST routes, request bodies, backend, indexer and key limit."""
