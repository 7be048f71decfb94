"""The arrays a target evaluation returns, one row per evaluated position (see ``Target.evaluate``).

``logpost``, ``loglik``, ``logprior`` (row,), ``particles`` (row,),
``ess_min`` (row,), ``loglik_sd`` (row,), ``pointwise`` (row, times),
``ess`` (row, times) and ``trajectory`` (row, times, states). Samplers keep
them in their state for the current positions; the run loop records them.
This module is tiny on purpose: samplers import these names without loading
the target's compiled code.
"""

EVAL_KEYS = ("logpost", "loglik", "logprior", "particles", "ess_min", "loglik_sd", "pointwise", "ess", "trajectory")
