"""FaraGen-style synthetic trajectory generation (see DESIGN.md)."""
