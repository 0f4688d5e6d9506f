"""Built-in sequence models."""
