"""Run: one validated RunSpec trained with Lightning on a task's data and recorded as one MLflow run."""
