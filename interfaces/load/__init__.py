"""`ledgerline load`: a marketplace client that drives a deployment through its public API."""
