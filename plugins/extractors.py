"""Built-in plugin: extractors (being built)."""
