"""Design-space search: many pipeline trials under a mission budget, cached by config hash, on Ray or a local pool."""
