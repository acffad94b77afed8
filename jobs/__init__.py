"""Berth's durable worker: provisioning, deletion, account teardown, reconciliation, usage."""
