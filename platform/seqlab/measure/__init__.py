"""Measurement: the Lightning callbacks that record a run's losses, efficiency, stability, scores,
gradient flow and state trace, and the recorder that batches them into MLflow."""
