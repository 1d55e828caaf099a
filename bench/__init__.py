"""Benchmarks: ``python -m bench.NAME`` (never part of ``make test``)."""
