"""Benchmarks: measured figures behind BENCHMARKS.md (run with `make bench`)."""
