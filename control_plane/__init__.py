"""Berth's control plane: the catalog, tokens, sealing, providers, services and the /v1 API."""
