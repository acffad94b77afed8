"""The catalog: schema, migrations and the connection helpers every process shares."""
