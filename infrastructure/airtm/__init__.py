"""AirTM's Enterprise API V2: the fiat provider's HTTP client and its webhook verification."""
