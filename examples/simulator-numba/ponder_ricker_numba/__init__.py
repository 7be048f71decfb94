"""pomp's stochastic Ricker map written as Numba kernels, coupled to ponder as an external simulator."""
