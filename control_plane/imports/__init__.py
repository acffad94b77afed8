"""Data in: files become tables in an endpoint's own database (formats, inference, loading, the row)."""
