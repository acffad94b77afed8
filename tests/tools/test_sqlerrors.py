"""Errors of the link to an endpoint's database are Berth's (503), whatever asyncpg calls them."""

from __future__ import annotations

import pytest
from asyncpg import exceptions as pg

from control_plane.errors import Unavailable
from data_plane.tools import QueryLimits
from data_plane.tools.sqlerrors import DATABASE_ERRORS, translate


def test_a_connection_cut_mid_query_and_used_again_is_unavailable_not_a_500() -> None:
    # Seen while an endpoint's Postgres restarted under load (bench/faults.py): a 500 before this was caught.
    exc = pg.InternalClientError("cannot switch to state 12; another operation (2) is in progress")
    assert isinstance(exc, DATABASE_ERRORS)
    with pytest.raises(Unavailable):
        translate(exc, QueryLimits(statement_timeout_ms=1000))
