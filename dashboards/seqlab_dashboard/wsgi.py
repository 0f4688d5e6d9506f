"""The dashboard as a WSGI application, for production servers.

    MLFLOW_TRACKING_URI=sqlite:////data/mlruns/mlflow.db \\
        gunicorn --workers 2 --bind 0.0.0.0:8050 seqlab_dashboard.wsgi:server
"""

from seqlab_dashboard.app import create_app

app = create_app()
server = app.server
"""The Flask server of the app: what a WSGI server serves."""
