"""Benchmarks and hardening figures: ``make bench`` (see bench/README.md)."""
