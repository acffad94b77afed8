"""The /v1 HTTP API (FastAPI): thin routers over the service layer."""
