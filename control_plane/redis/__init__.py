"""Redis, one room: connecting (one server or a cluster), the counters' key formats, invalidations.

    connect.py       ``connect(url)`` for ``redis://`` and ``redis+cluster://``; ``REDIS_DOWN``
    counters.py      where the gateways count calls (one hash tag per endpoint)
    invalidation.py  the pub/sub channel every gateway listens on, and its message formats

Redis holds nothing Berth cannot rebuild: counts are re-seeded from the catalog, a lost
invalidation is covered by the gateways' cache TTL.
"""
