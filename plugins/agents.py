"""Built-in plugin: agents (being built)."""
