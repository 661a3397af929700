"""Built-in plugin: agentic_mode (being built)."""
