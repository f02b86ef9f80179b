"""How a process is observed: Prometheus metrics, OpenTelemetry tracing, JSON log lines, and
the instrumented edges of actors and provider calls."""
