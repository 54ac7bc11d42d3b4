"""The offline sandbox web: sites, seeded data, visitor state, tasks with checkers, and the oracle.

It imports only `agent/`; evaluation, tests, data generation and demos build on it."""
