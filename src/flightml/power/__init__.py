"""Power and mission budgets: target profiles, mission files, the energy model and verdict, INA219
capture, trace analysis and trace simulation."""
