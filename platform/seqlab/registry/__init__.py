"""Registry: the plugin manager that loads plugins, and the component tables built from their hooks."""
