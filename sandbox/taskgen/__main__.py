"""`python -m sandbox.taskgen` rewrites suite.jsonl and its schema."""

from sandbox.taskgen import main

main()
