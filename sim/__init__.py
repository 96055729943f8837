"""The simulator: a SimPy driver that runs many unchanged policy cores (``aware``) over a
simulated network, applies scenario faults, measures the colony from the simulated truth
and checks its invariants. Reproducible by seed. Entry points: :mod:`sim.run`."""
