"""Benchmarks: `eid` against what a user would otherwise call, ratios printed."""
