"""Farol's agent core: the Fara-7B interface, the loop, environments, guard, trajectory and store."""

__version__ = "0.1.0"
