"""Built-in training strategies."""
