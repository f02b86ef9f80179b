"""Injected faults: the seeded rules, the ASGI gate that carries them out, dropped connections."""
