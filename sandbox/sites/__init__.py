"""One module per site: its routes, and the search functions the task generator shares with it."""
