"""Benchmarks: each one command, each measuring its own baseline in the same run (README)."""
