"""The plugin API: the hooks a plugin implements and the interfaces its components satisfy.

Everything a plugin author writes against lives here (hooks, parameters, tasks, strategies);
nothing here imports torch, Lightning, MLflow or Dash at module level.
"""
