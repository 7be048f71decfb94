"""ponder-reservoir-c: the C program reservoir.c (a linear reservoir) as the ponder simulator ``reservoir_c.linear``."""
