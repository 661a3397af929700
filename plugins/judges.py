"""Built-in plugin: judges (being built)."""
