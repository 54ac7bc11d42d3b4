"""Supervised fine-tuning on stored trajectories (see DESIGN.md)."""
