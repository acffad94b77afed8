"""Berth's data plane: the MCP gateway agents call with smcp_ tokens."""
