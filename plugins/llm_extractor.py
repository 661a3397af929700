"""Built-in plugin: llm_extractor (being built)."""
