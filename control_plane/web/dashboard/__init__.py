"""The tenant dashboard under ``/app``: server-rendered pages on the same services as the API."""
