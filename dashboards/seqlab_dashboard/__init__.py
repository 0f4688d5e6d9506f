"""seqlab's comparison dashboard: a Dash app over the MLflow store, read-only.

Importing this package is cheap; :func:`seqlab_dashboard.app.create_app` imports Dash.
"""
