"""Neural posterior estimation on the ``sbi`` library (method ``npe``; ``pip install 'ponder[sbi]'``).

Single-round NPE (Papamakarios and Murray 2016; Greenberg et al. 2019, as
``sbi.inference.NPE``): ``simulations`` parameter vectors drawn from the
prior, one dataset simulated from each (:mod:`ponder.runtime.methods.simulations`:
the model's summaries, or every observed value), and a conditional density
estimator q(z | x) trained on the pairs, where z is the parameter vector in
ponder's unconstrained space (log and logit transforms of each prior's
support), so the estimator never puts mass outside the support. The
posterior draws are q(z | x_observed) mapped back. ``chains`` estimators
are trained on the same simulations from different initial weights; each
gives a chain of ``draws`` draws, so R-hat across chains shows how much the
answer depends on the training.

``sbi`` and ``torch`` are imported only when the method runs. Random
numbers: the prior draws and simulations are keyed by the run's seed (the
same on every executor); training is seeded with ``torch.manual_seed`` and
runs on the CPU in this process. The simulations are saved as round 0, so
an interrupted run resumes without simulating again.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from ponder.lang import messages
from ponder.plugins.options import Option
from ponder.runtime.methods.contract import MethodResult
from ponder.runtime.methods.simulations import Simulations
from ponder.runtime.seeds import generator


def _import_sbi():
    try:
        import sbi.inference  # noqa: F401
        import torch
    except ImportError as err:
        raise messages.method_needs_extra("npe", "sbi", str(err)) from None
    return torch, sbi.inference


class NeuralPosterior:
    """Single-round NPE on ``sbi`` (see the module docstring)."""

    options = (
        Option("simulations", int, 10_000, "datasets simulated from the prior to train on", minimum=50),
        Option("density_estimator", str, "maf", "sbi's conditional density estimator",
               choices=("maf", "nsf", "mdn", "made")),
        Option("draws", int, 1000, "posterior draws per chain", minimum=4),
        Option("chains", int, 2, "estimators trained from different initial weights, one chain each", minimum=1),
        Option("features", str, "auto", "summaries (the model's `summary` lines), raw (every observed value), "
               "or auto (summaries when the model declares them)", choices=("auto", "summaries", "raw")),
        Option("batch_size", int, 200, "training batch size", minimum=1),
        Option("learning_rate", float, 5e-4, "training learning rate", above=0.0),
        Option("stop_after_epochs", int, 20, "stop training after this many epochs without a better validation "
               "loss", minimum=1),
    )

    def __init__(self, problem, executor, seed, simulations=10_000, density_estimator="maf", draws=1000, chains=2,
                 features="auto", batch_size=200, learning_rate=5e-4, stop_after_epochs=20):
        self.problem, self.seed = problem, int(seed)
        self.n_sims, self.estimator, self.draws, self.chains = simulations, density_estimator, draws, chains
        self.training = {"training_batch_size": batch_size, "learning_rate": learning_rate,
                         "stop_after_epochs": stop_after_epochs}
        self.sims = Simulations(problem, executor, seed, "npe", features)
        lower, upper = problem.prior_support(np.zeros(problem.ir.n_params))
        from ponder.stdlib.transforms import Transform

        self.transform = Transform(lower, upper)

    def _simulations(self, rounds) -> dict:
        resumed = rounds.resume()
        if resumed is not None:
            return resumed[1]
        theta = np.empty((self.n_sims, self.problem.ir.n_params))
        self.problem.kernels.prior_sample(generator(self.seed, 4, 0, 0, 1), self.problem.consts(), theta)
        x = self.sims.simulate(theta, 0, 0, 0)
        z = self.transform.to_unconstrained(theta)
        usable = np.all(np.isfinite(x), axis=1) & np.all(np.isfinite(z), axis=1)  # failed simulations left out
        state = {"z": z[usable], "x": x[usable], "simulated": np.array([self.n_sims])}
        rounds.save(0, state)
        return state

    def run(self, rounds, progress) -> MethodResult:
        torch, inference = _import_sbi()
        state = self._simulations(rounds)
        if len(state["z"]) < 10:
            raise messages.npe_too_few_simulations(len(state["z"]), int(state["simulated"][0]))
        z = torch.as_tensor(state["z"], dtype=torch.float32)
        x = torch.as_tensor(state["x"], dtype=torch.float32)
        observed = torch.as_tensor(self.sims.observed[None], dtype=torch.float32)
        dim = self.problem.ir.n_params
        theta = np.empty((self.chains, self.draws, dim))
        losses, epochs = [], []
        for k in range(self.chains):
            progress(k, self.chains, f"training estimator {k + 1} of {self.chains} on {len(z)} simulations")
            torch.manual_seed(int(generator(self.seed, 4, 1, k).integers(2**62)))
            npe = inference.NPE(density_estimator=self.estimator, show_progress_bars=False, tracker=_NoTracker())
            with contextlib.redirect_stdout(io.StringIO()):  # sbi prints "Neural network successfully converged..."
                estimator = npe.append_simulations(z, x).train(**self.training)
            posterior = npe.build_posterior(estimator, prior=_whole_space(torch, dim))
            drawn = posterior.sample((self.draws,), x=observed, show_progress_bars=False).numpy().astype(float)
            theta[k], _ = self.transform.from_unconstrained(drawn)
            summary = npe.summary
            losses.append([float(v) for v in summary.get("validation_loss", [])])
            epochs.append(int(summary.get("epochs_trained", [len(losses[-1])])[-1]))
        progress(self.chains, self.chains, "done")
        attrs = {"simulations": int(state["simulated"][0]), "simulations_used": int(len(z)),
                 "npe_density_estimator": self.estimator, "npe_features": self.sims.kind,
                 "npe_validation_loss": losses, "npe_epochs": epochs}
        return MethodResult(theta=theta, attrs=attrs)


class _NoTracker:
    """sbi's tracker protocol, keeping nothing: its default writes TensorBoard logs into ``./sbi-logs`` of
    whatever folder the user runs in (the losses ponder keeps are in the results' attributes)."""

    log_dir = None

    def log_metric(self, name, value, step=None):
        pass

    def log_metrics(self, metrics, step=None):
        pass

    def log_params(self, params):
        pass

    def add_figure(self, name, figure, step=None):
        pass

    def flush(self):
        pass


def _whole_space(torch, dim: int):
    """The prior ``sbi``'s posterior object is told about: a normal so wide that it rejects no draw of q(z | x) on
    the unconstrained space (direct sampling only checks the support; the estimator already is the posterior)."""
    normal = torch.distributions.Normal(torch.zeros(dim), torch.full((dim,), 1e6))
    return torch.distributions.Independent(normal, 1)
