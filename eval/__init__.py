"""Benchmarks, judges, runner and reports (see DESIGN.md)."""
