"""Database providers: where an endpoint's own Postgres database lives."""
