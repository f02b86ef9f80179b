"""The HTTP plumbing every route runs through: telemetry and admission middleware, the one
error table, the response envelope, read-your-writes and `Prefer: wait`, the server. The
controllers beside this package only translate."""
