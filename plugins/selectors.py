"""Built-in plugin: selectors (being built)."""
