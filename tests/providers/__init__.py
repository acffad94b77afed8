"""Tests of the database providers."""
