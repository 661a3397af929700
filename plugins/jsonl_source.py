"""Built-in plugin: jsonl_source (being built)."""
