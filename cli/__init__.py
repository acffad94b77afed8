"""The `berth` operator command."""
