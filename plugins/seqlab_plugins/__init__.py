"""seqlab's built-in plugins: models, tasks and strategies, each a module registered through
the same hooks a third-party plugin implements (listed in ``seqlab.registry.plugin_manager.DEFAULT_PLUGINS``)."""
