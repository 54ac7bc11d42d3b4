"""The local bridge between the Chrome extension and the agent (see DESIGN.md)."""
