"""Tests of the gateway tools and the SQL guard."""
