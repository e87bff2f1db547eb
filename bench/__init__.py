"""Benchmarks and differential comparisons (run as scripts; importable by tests)."""
