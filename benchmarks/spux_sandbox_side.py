"""The SPUX 0.4.0 side of benchmarks/spux_sandbox.py: run ONLY under a Python that has ``spux`` installed.

A SPUX model written as its documentation asks (``spux.models.model.Model``
with ``init``/``run(time)``, sandboxing on): ``run`` writes ``params.txt``
into ``self.sandbox()``, runs the compiled reservoir.c with ``self.shell``
(SPUX's ``spux.utils.shell.execute``: ``Popen([command], shell=True)``), reads
``discharge.txt`` and returns ``spux.utils.annotate.annotate``'s prediction.
The particles are driven exactly as SPUX's particle filter
(``spux.likelihoods.pf.PF.__call__``) drives them with its ``Serial``
executor: ``Ensemble`` + ``Serial.connect`` (particle folders made by
``Sandbox.spawn`` + ``copyin``, a copytree of the template),
``executor.call('run', [time])`` then ``call('advance')``, and
``Serial.resample(indices)`` (kill the unpicked particles' folders, stash
and fetch (rename) the kept ones, and for each duplicate ``Model.save`` the
source (the statefiles read into a cloudpickle), ``deepcopy`` the model,
``isolate`` it (copytree of the template) and ``Model.load`` (statefiles
written back)).

Protocol (driven by benchmarks/spux_sandbox.py): one JSON object per line on
stdin, one JSON line per request on stdout:

    {"op": "round", "time": t}   -> ms per particle of a bare argv run (one folder), a bare shell=True run,
                                     a hand loop (write, argv run, read) over one folder per particle, the
                                     ensemble's advance to t, and a resample (half the particles picked twice)
    {"op": "quit"}
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time as _time
import warnings

warnings.filterwarnings("ignore")

import numpy  # noqa: E402
import pandas  # noqa: E402

import spux  # noqa: E402
from spux.executors.serial import Serial  # noqa: E402
from spux.likelihoods.ensemble import Ensemble  # noqa: E402
from spux.models.model import Model  # noqa: E402
from spux.utils.annotate import annotate  # noqa: E402
from spux.utils.sandbox import Sandbox  # noqa: E402
from spux.utils.seed import Seed  # noqa: E402


class Reservoir(Model):
    """reservoir.c as a SPUX model: the same files as ponder_reservoir_c.reservoir's write_inputs/read_outputs."""

    sandboxing = 1

    def __init__(self, binary):
        self.binary = binary

    def init(self, inputset, parameters):
        Model.init(self, inputset, parameters)
        self.k = float(parameters["k"])
        self.rain = float(inputset["rain"])
        self.time = 0.0

    def run(self, time):
        Model.run(self, time)
        folder = self.sandbox()
        with open(os.path.join(folder, "params.txt"), "w") as f:
            f.write(f"{self.k!r} {float(self.time)!r} {float(time)!r} {self.rain!r}\n")
        code = self.shell(self.binary)
        if code != 0:
            raise RuntimeError(f"reservoir exited with {code} in {folder}")
        with open(os.path.join(folder, "discharge.txt")) as f:
            q = float(f.read())
        self.time = time
        return annotate([q], ["Q"], time)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--template", required=True)
    parser.add_argument("--particles", type=int, default=64)
    parser.add_argument("--root", default="/dev/shm")
    args = parser.parse_args()
    n = args.particles
    work = tempfile.mkdtemp(prefix="spux-bench-", dir=args.root)
    bare = os.path.join(work, "bare")
    shutil.copytree(args.template, bare)
    with open(os.path.join(bare, "params.txt"), "w") as f:
        f.write("0.25 0.0 1.0 3.5\n")
    loop = [os.path.join(work, "loop", f"p{i}") for i in range(args.particles)]
    for folder in loop:
        shutil.copytree(args.template, folder)
    try:
        model = Reservoir(args.binary)
        ensemble = Ensemble(model, {"rain": 3.5}, pandas.Series({"k": 0.25}), error=None)
        ensemble.setup(Sandbox(path=os.path.join(work, "sandbox"), template=args.template, statefiles=["state.txt"]),
                       verbosity=0, seed=Seed(0))
        executor = Serial()
        executor.setup(task=model)
        executor.init(internal=1)
        executor.connect(ensemble, indices=numpy.arange(n))
        picks = numpy.repeat(numpy.arange(0, n, 2), 2)[:n]
        print(json.dumps({"ready": True, "spux": spux.__version__, "python": sys.version.split()[0],
                          "sandbox": os.path.join(work, "sandbox")}), flush=True)
        for line in sys.stdin:
            request = json.loads(line)
            if request["op"] == "quit":
                break
            out = {}
            start = _time.perf_counter()
            for _ in range(n):
                subprocess.run([args.binary], cwd=bare, capture_output=True, check=True)
            out["bare argv"] = (_time.perf_counter() - start) / n * 1e3
            start = _time.perf_counter()
            for _ in range(n):
                subprocess.run([args.binary], cwd=bare, capture_output=True, check=True, shell=True)
            out["bare shell"] = (_time.perf_counter() - start) / n * 1e3
            start = _time.perf_counter()
            for folder in loop:
                with open(os.path.join(folder, "params.txt"), "w") as f:
                    f.write("0.25 0.0 1.0 3.5\n")
                subprocess.run([args.binary], cwd=folder, capture_output=True, check=True)
                with open(os.path.join(folder, "discharge.txt")) as f:
                    float(f.read())
            out["hand loop"] = (_time.perf_counter() - start) / n * 1e3
            start = _time.perf_counter()
            predictions = executor.call("run", args=[float(request["time"])])
            executor.call("advance", results=0)
            out["advance"] = (_time.perf_counter() - start) / n * 1e3
            start = _time.perf_counter()
            executor.resample(picks)
            out["resample"] = (_time.perf_counter() - start) / n * 1e3
            out["Q"] = [float(predictions[i]["Q"]) for i in range(n)]
            out["folders"] = len(os.listdir(os.path.join(work, "sandbox")))
            print(json.dumps(out), flush=True)
        executor.disconnect()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
