"""Training: the `train` stage."""
