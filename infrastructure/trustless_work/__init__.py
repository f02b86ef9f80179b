"""Trustless Work, the escrow provider: its V1 REST API as the `EscrowProvider` port."""
