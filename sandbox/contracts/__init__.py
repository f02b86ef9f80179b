"""The Soroban contracts the chain runs: the V1 escrows and the Stellar Asset Contract (SAC)."""
