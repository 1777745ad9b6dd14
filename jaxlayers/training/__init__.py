"""Training: losses, metrics and the pure train step."""
