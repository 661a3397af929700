"""Built-in plugin: formats (being built)."""
