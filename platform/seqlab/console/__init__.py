"""Console: what the command line prints (plugin listings, component descriptions, run reports)."""
