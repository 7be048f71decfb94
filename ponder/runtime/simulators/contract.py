"""The simulator contract: an existing model (Python, Numba, or a program run in a folder) as a model's dynamics.

A ``.model`` file names a registered simulator in place of ``step``/``ode``::

    simulator hydro.reservoir
    output Q                      # what the observation model reads, like a state
    observe Q ~ LogNormal(log(Q), sigma)

The name is looked up among the registered simulators (never a file or a
module path: a ``.model`` still cannot load code). A plugin registers one in
``ponder_add_simulators`` with ``registry.add(name, simulator, description)``;
a notebook with :func:`ponder.register_simulator` (seen by the serial and
threads executors; worker processes load entry points only).

A simulator works on all particles at once. Its ``state`` is any object
(a NumPy array, a dict of arrays, a list of per-particle objects, a list of
folders); ponder only passes it back:

``init(theta, consts, n, rng) -> state``
    ``n`` particles at the model's ``t0``. ``theta`` maps every parameter
    of the model to its value (a float; a vector parameter an array),
    ``consts`` every constant (replicate overrides applied) and every input,
    as a function of time (``consts["rain"](t)``, interpolated as the
    model's ``input`` line says); ``rng`` is a ``numpy.random.Generator``
    keyed by the run's seed: draw every random number from it.
``advance(state, t0, t1, theta, rng) -> state``
    every particle moved from time ``t0`` to ``t1`` (may update in place
    and return ``state``).
``outputs(state) -> {name: array (n,) or (n, size)}``
    the current value of every output the model declares (``output Q``).
    A particle whose run failed has a NaN output: it gets zero weight and
    is counted in the filter's ``failures`` diagnostic.
``resample(state, indices) -> state`` (optional)
    the particles ``indices`` (an int array, length n, values may repeat):
    particle i of the result is a copy of particle ``indices[i]`` that can
    be moved on its own. Without it: :func:`default_resample` (an array or
    every array of a dict is indexed; lists copy repeated entries).
``close(state)`` (optional)
    called once for every state ``init`` made, when the estimate or the
    simulation is done with it, also after an error or Ctrl-C: release
    what it holds (folders, processes).

Declared, so that code asks the simulator, never its name or class:

``capabilities``
    a :class:`SimulatorCapabilities`: ``deterministic`` (advance draws no
    random numbers: the model gets the exact likelihood), ``thread_safe``
    (several estimates may call it at once from threads; otherwise ponder
    runs its estimates one at a time in a process, and the processes and
    mpi executors are the way to run several at once), ``vectorised`` (one
    call moves all particles; False for the per-particle adapter).
``output_names`` (optional)
    the outputs it can provide; the checker refuses an ``output`` line
    naming another.
``parameters`` (optional)
    the names of ``theta`` and ``consts`` it reads; the checker refuses a
    model that declares none of them as a ``param``, ``const`` or ``input``.

**Numba kernels** (optional, ``numba_kernels = (init, advance)``): a
simulator that has them is compiled into the model's generated kernels, so
the particle filter, the exact likelihood and parallel tempering's slice
scans run it inside Numba like a model written in the language. Both are
``numba.njit`` functions, module globals of an importable module (its text
is part of the kernel cache key): ``init(p, t0, X, rng)`` fills ``X``
(particles x outputs, columns in ``output_names`` order) at ``t0``, and
``advance(p, X, t0, t1, rng)`` moves every row from ``t0`` to ``t1`` in
place; ``p`` holds the values of ``parameters`` (scalar params and
constants), in that order. Such a simulator must declare ``output_names``
and ``parameters``; the model declares every output. The Python methods
are then not needed.

Random numbers come from ``rng`` only, so a run is bit-identical on every
executor with any number of workers, as for models written in the language.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

from ponder.lang.library import SimulatorCapabilities, simulator_capabilities as capabilities_of  # noqa: F401


@runtime_checkable
class Simulator(Protocol):
    """A simulator of all particles at once, in Python (see the module docstring for the Numba route)."""

    capabilities: SimulatorCapabilities

    def init(self, theta: Mapping[str, Any], consts: Mapping[str, Any], n: int, rng: np.random.Generator) -> Any:
        """``n`` particles at ``t0``."""

    def advance(self, state: Any, t0: float, t1: float, theta: Mapping[str, Any], rng: np.random.Generator) -> Any:
        """Every particle from ``t0`` to ``t1``."""

    def outputs(self, state: Any) -> Mapping[str, np.ndarray]:
        """``{name: array (n,) or (n, size)}`` for the declared outputs."""


def default_resample(state, indices: np.ndarray):
    """Particles ``indices`` of ``state``: an array indexed on its first axis, a dict of them entry by entry
    (other entries are kept as they are), a list or tuple by position with every repeat a deep copy."""
    if isinstance(state, np.ndarray):
        return state[indices]
    if isinstance(state, dict):
        n = len(indices)
        return {k: (v[indices] if isinstance(v, np.ndarray) and v.ndim and v.shape[0] == n else v)
                for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        seen = set()
        out = []
        for i in (int(j) for j in indices):
            out.append(state[i] if i not in seen else copy.deepcopy(state[i]))
            seen.add(i)
        return out
    raise TypeError(f"cannot resample a simulator state of type {type(state).__name__}: "
                    "give the simulator a resample(state, indices) method")


def resample_state(simulator, state, indices: np.ndarray):
    """The simulator's own ``resample`` if it has one, else :func:`default_resample`."""
    own = getattr(simulator, "resample", None)
    return own(state, indices) if own is not None else default_resample(state, indices)


def close_state(simulator, state) -> None:
    """The simulator's ``close(state)``, if it has one."""
    close = getattr(simulator, "close", None)
    if close is not None and state is not None:
        close(state)
