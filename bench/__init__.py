"""Benchmarks (scripts that print their numbers); a package so bench.settings can be imported."""
