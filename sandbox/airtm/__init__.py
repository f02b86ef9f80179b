"""AirTM's Enterprise API V2, simulated: users, payins with a hosted checkout, payouts with
commit, statuses moving on the sandbox clock, and Svix-signed webhooks with injectable faults.
See docs/sandbox.md (AirTM) and docs/airtm.md for the shapes and what was assumed."""
