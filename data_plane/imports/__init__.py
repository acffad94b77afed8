"""The gateway's import tools for write tokens: a file or a URL into the same import path the API uses."""
