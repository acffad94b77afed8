"""Berth's durable worker: provisioning, deletion, account teardown, reconciliation, usage.

Why a queue of our own rather than a library: pgqueuer (the asyncpg-based one
the design allows) is not among Berth's dependencies, and the catalog already
owns the ``jobs`` table that the API fills in its own transactions (the outbox,
``control_plane.catalog.jobs.enqueue``). What the worker needs on top of it is
small and lives beside it in ``control_plane/catalog/jobs/lease.py``: a
``FOR UPDATE SKIP LOCKED`` claim with a lease, renewal, backoff with jitter,
burial after ``max_attempts``, and writes fenced by (job, worker, attempt) so a
worker that lost its lease changes nothing.
"""
