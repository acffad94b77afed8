"""Berth's benchmark harness: the gateway side by side with a bare-Python ceiling and an SDK-built peer."""
