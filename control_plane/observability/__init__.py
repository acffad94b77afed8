"""Observability shared by every role: request context, structured logs, Prometheus metrics."""
