"""The offline sandbox web: sites, seeded data, visitor state, tasks with checkers, and the oracle."""
