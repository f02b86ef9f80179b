"""The simulated Stellar network: accounts, ledger entries, operations and the submission pipeline.

`Chain` (`chain.py`) is the one serial history both simulators read and write; everything else
here is what a Stellar node does with a transaction: decode, check signatures, validate, apply.
"""
