"""The local Stellar Horizon + Trustless Work (V1) sandbox: one in-memory chain, two simulators.

Start it with `SandboxServer` (in-process, for tests) or `ledgerline sandbox` (CLI). Every XDR it
reads or writes goes through stellar-sdk; every balance is an integer of stroops. See
docs/sandbox.md for the URL layout, the control API, fault modes and what is not simulated.

It stands beside Ledgerline's layers, not on one: it imports nothing of Ledgerline, and only the
CLI (`ledgerline sandbox`, `ledgerline up`) and the tests import it. The wings: `chain/` (the
Stellar network), `contracts/` (the Soroban contracts it runs), `horizon/` and `trustless_work/`
(the two simulated APIs), `faults/` (injected faults); the composition root (`app`, `server`),
the control API, genesis, faucet, clock and state file sit at the top.
"""
