"""Built-in plugin: models (being built)."""
