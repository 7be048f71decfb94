"""ponder-reservoir-c: the C programs reservoir.c (a linear reservoir) and reservoir_noisy.c (its stochastic twin)
as the ponder simulators ``reservoir_c.linear`` and ``reservoir_c.noisy``."""
