"""The worker's steps, each safe to repeat: what a handler in ``jobs/handlers`` runs for one job.

    lifecycle.py  provision an endpoint, tear it down, mark it failed
    imports.py    load one spooled file into an endpoint (the import job)

They live beside the worker, not among the tenant services: they act as the system, on any
tenant's rows, and only the worker (and ``berth dev``'s first run) calls them.
"""
