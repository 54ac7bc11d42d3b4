"""Benchmark suites: each module loads its tasks as `eval.tasks.EvalTask`s."""
