"""Built-in plugin: toolworld (being built)."""
