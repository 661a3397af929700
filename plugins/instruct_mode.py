"""Built-in plugin: instruct_mode (being built)."""
