"""`python -m eval.sandbox.suite` rewrites suite.jsonl and its schema."""

from eval.sandbox.suite import main

main()
