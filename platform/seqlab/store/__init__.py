"""Store: the MLflow names seqlab records (one place for every key) and how a run is opened and closed."""
