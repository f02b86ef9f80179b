"""`ledgerline simulate`: a seeded fault campaign against the whole service, run from outside.

It starts the service's processes as an operator would, drives a seeded load over HTTP, kills
processes and stores and injects sandbox faults at seeded moments, then audits the result the
way an outsider can — HTTP, the chain, read-only SQL — never through the service's own code
(import-linter keeps it so; only `interfaces.cli.simulate` imports it). Modules by concept:
`schedule` (what happens when, from the seed), `fleet`/`servers`/`processes`/`lineage` (the
deployment), `marketplace`/`flows`/`caller`/`tally` (the load and what it was told), `chaos`,
`books`/`chain`/`refold`/`invariants` (the audit), `report` and `campaign` (one run).
"""
