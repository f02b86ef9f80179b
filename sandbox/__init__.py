"""The local Stellar Horizon + Trustless Work (V1) sandbox: one in-memory chain, two simulators.

Start it with `SandboxServer` (in-process, for tests) or `ledgerline sandbox` (CLI). Every XDR it
reads or writes goes through stellar-sdk; every balance is an integer of stroops. See
docs/sandbox.md for the URL layout, the control API, fault modes and what is not simulated.
"""
