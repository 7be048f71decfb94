"""ponder.sandbox against SPUX 0.4.0's own coupling of an external program: ms per particle.

Both sides run the same compiled reservoir.c (examples/reservoir-c, built
here with the system C compiler) in one folder per particle under /dev/shm,
write the same ``params.txt``, read the same ``discharge.txt``, and keep
``state.txt`` per particle. ponder's side is ``ponder.sandbox`` (jobs=1) with
the example's ``write_inputs``/``read_outputs``, in this interpreter. SPUX's
side (benchmarks/spux_sandbox_side.py, in SPUX's own Python) is a
``spux.models.model.Model`` that writes params.txt into ``self.sandbox()``
and runs the program with ``self.shell`` (``shell=True``), driven as SPUX's
particle filter drives it: ``Ensemble`` + ``Serial`` executor,
``call('run', [t])`` + ``call('advance')``, ``Serial.resample(indices)``
(folders of duplicates made by ``Sandbox.copyin``, a copytree of the
template, then ``Model.save``/``load`` of the statefiles through
cloudpickle). Each round: an advance of ``--particles`` particles from t to
t+1 and a resample that keeps every second particle twice (half the folders
removed, half cloned); and, in each interpreter, the floor: a bare
``subprocess.run`` of the program ``--particles`` times in one folder (SPUX's
also with ``shell=True``), and a hand loop writing params.txt, running the
program and reading discharge.txt in each of ``--particles`` folders; the two sides
alternate which goes first; medians over ``--rounds``. Every round checks
that both sides computed the same discharges.

    python benchmarks/spux_sandbox.py --spux-python /tmp/spux39/bin/python [--rounds 21] [--particles 64]
        [--extra-mb 0]

``--extra-mb`` adds a read-only input file of that size to the template (a
model's forcing data or mesh): ponder hard-links it into each folder, SPUX
copies it.

Make SPUX's Python (without it only ponder's side is measured)::

    ~/.pyenv/versions/3.9.18/bin/python3.9 -m venv /tmp/spux39
    /tmp/spux39/bin/pip install --no-deps spux==0.4.0
    /tmp/spux39/bin/pip install "numpy<2" scipy "pandas<2" cloudpickle pillow psutil

(SPUX 0.4.0's metadata also asks for reprozip, suftware and sympy; the parts
used here import without them. numpy 2 breaks pandas 1.x's binary modules.)

Measured 2026-12-02 on a 2-core machine shared with other work (absolute
numbers drift by ~20% between runs), 21 rounds, 64 particles, ponder on
Python 3.11.7; SPUX 0.4.0 in its own venv, on 3.9.18 and (it imports and runs
there too, with numpy 1.26 / pandas 1.5) on 3.11.7. ms per particle, median:

                                        SPUX on 3.9.18            SPUX on 3.11.7
                                    ponder   SPUX  ratio     ponder   SPUX  ratio
    bare run (argv), one folder      0.99    2.70   2.7       1.01    1.01   1.0
    bare run (shell=True)                    3.51                     2.00
    hand loop over 64 folders        1.08    2.84   2.6       1.11    1.08   1.0
    advance (write, run, read)       1.71    4.80   2.8       1.86    2.75   1.5
      minus its own hand loop        0.63    1.96             0.75    1.67
    resample (32 clones)             0.077   0.30   3.9       0.080   0.30   3.7
    with --extra-mb 8:
    advance                          1.71    4.70   2.7       1.82    2.75   1.5
    resample                         0.082   2.00    24       0.092   1.97    21

Where the time goes. The floor is the interpreter's process start: 1.0 ms
on 3.11 (vfork), 2.7 ms on 3.9 (plain fork: CPython's subprocess gained
its vfork path in 3.10), so most of the 2.8x against SPUX on 3.9 is its Python, not its
design; on the same 3.11 SPUX costs 1.5x. SPUX's own overhead over a hand
loop (1.7 ms) is mostly ``/bin/sh -c`` in front of the program
(``shell=True``: +1.0 ms), then per particle a seed spawn, a numpy
RandomState and a pandas Series. ponder's 0.6-0.75 ms over the hand loop is
almost all CPython's ``Popen.communicate(timeout=...)``: once the pipes
close it polls ``waitpid(WNOHANG)`` with a first ``time.sleep`` of 1 ms
(cProfile of 320 runs: 0.31 s in time.sleep, 0.26 s in poll, 0.03 s in
fork_exec); SPUX, which has no timeout, waits blockingly. A resample in
SPUX copies the whole template (copytree) for every duplicate, then writes
the statefiles back from a cloudpickle; ponder hard-links the template's
files and copies only the ones runs write, so its resample does not grow
with the template. (SPUX's particle set-up, one copytree each, is not timed.)

After that finding the sandbox enforces its timeout from a timer thread and
waits for the program blockingly (ponder/sandbox.py). Re-measured, 11
rounds, SPUX on 3.11.7: advance 1.33 ms per particle for ponder (0.25 over
its hand loop) against 2.72 for SPUX (2.0x); resample 0.077 against 0.276
(3.6x).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples" / "reservoir-c"))

from ponder_reservoir_c.reservoir import read_outputs, write_inputs  # noqa: E402

from ponder.sandbox import default_root, sandbox  # noqa: E402

SIDE = Path(__file__).resolve().parent / "spux_sandbox_side.py"
THETA = {"k": 0.25}
CONSTS = {"rain": lambda t: 3.5}

HOWTO = """\
SPUX's side not measured: give --spux-python, the Python of a venv with SPUX 0.4.0, e.g.
    ~/.pyenv/versions/3.9.18/bin/python3.9 -m venv /tmp/spux39
    /tmp/spux39/bin/pip install --no-deps spux==0.4.0
    /tmp/spux39/bin/pip install "numpy<2" scipy "pandas<2" cloudpickle pillow psutil
    python benchmarks/spux_sandbox.py --spux-python /tmp/spux39/bin/python"""


def build(work: Path, extra_mb: int) -> tuple[Path, Path]:
    """The compiled reservoir.c and a template folder (state.txt, and an input file of ``extra_mb`` MB)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        sys.exit("no C compiler (cc or gcc) on PATH: reservoir.c cannot be built")
    binary = work / "reservoir"
    subprocess.run([cc, "-O2", "-o", str(binary), str(ROOT / "examples/reservoir-c/ponder_reservoir_c/reservoir.c"),
                    "-lm"], check=True)
    template = work / "template"
    shutil.copytree(ROOT / "examples/reservoir-c/ponder_reservoir_c/template", template)
    if extra_mb:
        (template / "forcing.bin").write_bytes(np.random.default_rng(0).bytes(extra_mb << 20))
    return binary, template


class Spux:
    """The helper process in SPUX's Python, one request per round."""

    def __init__(self, python: str, binary: Path, template: Path, n: int):
        self.proc = subprocess.Popen([python, str(SIDE), "--binary", str(binary), "--template", str(template),
                                      "--particles", str(n), "--root", str(default_root())],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"SPUX's side stopped (exit status {self.proc.wait()}); its stderr is above")
        return json.loads(line)

    def round(self, t: float) -> dict:
        self.proc.stdin.write(json.dumps({"op": "round", "time": t}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


def ponder_round(sim, state, binary: Path, bare: Path, loop: list[Path], t: float, picks) -> dict:
    n = len(loop)
    out = {}
    start = time.perf_counter()
    for _ in range(n):
        subprocess.run([str(binary)], cwd=bare, capture_output=True, check=True)
    out["bare argv"] = (time.perf_counter() - start) / n * 1e3
    start = time.perf_counter()
    for folder in loop:
        write_inputs(folder, THETA, CONSTS, 0.0, 1.0, 0)
        subprocess.run([str(binary)], cwd=folder, capture_output=True, check=True)
        read_outputs(folder)
    out["hand loop"] = (time.perf_counter() - start) / n * 1e3
    start = time.perf_counter()
    sim.advance(state, t - 1.0, t, THETA, None)
    out["advance"] = (time.perf_counter() - start) / n * 1e3
    q = sim.outputs(state)["Q"].tolist()
    start = time.perf_counter()
    sim.resample(state, picks)
    out["resample"] = (time.perf_counter() - start) / n * 1e3
    out["Q"] = q
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spux-python", help="the Python of a venv with spux 0.4.0 installed")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--particles", type=int, default=64)
    parser.add_argument("--extra-mb", type=int, default=0, help="MB of read-only input added to the template")
    args = parser.parse_args()
    n = args.particles
    picks = np.repeat(np.arange(0, n, 2), 2)[:n]
    use_spux = bool(args.spux_python) and Path(args.spux_python).exists()
    work = Path(tempfile.mkdtemp(prefix="ponder-spux-bench-", dir=default_root()))
    spux = None
    try:
        binary, template = build(work, args.extra_mb)
        bare = work / "bare"
        shutil.copytree(template, bare)
        write_inputs(bare, THETA, CONSTS, 0.0, 1.0, 0)
        loop = [work / "loop" / f"p{i}" for i in range(n)]
        for folder in loop:
            shutil.copytree(template, folder)
        sim = sandbox(template, [str(binary)], write_inputs, read_outputs, ["Q"], deterministic=True,
                      modified=["state.txt"], timeout=10.0, jobs=1)
        state = sim.init(THETA, CONSTS, n, np.random.default_rng(0))
        if use_spux:
            spux = Spux(args.spux_python, binary, template, n)
        times = {"ponder": [], "spux": []}
        for i in range(args.rounds):
            t = float(i + 1)
            order = ("ponder", "spux") if i % 2 == 0 else ("spux", "ponder")
            got = {}
            for side in order:
                if side == "ponder":
                    got[side] = ponder_round(sim, state, binary, bare, loop, t, picks)
                elif spux is not None:
                    got[side] = spux.round(t)
            if spux is not None and not np.allclose(got["ponder"]["Q"], got["spux"]["Q"], rtol=1e-12, atol=0):
                raise RuntimeError(f"round {i}: ponder and SPUX disagree: {got['ponder']['Q'][:3]} vs "
                                   f"{got['spux']['Q'][:3]}")
            for side, values in got.items():
                times[side].append(values)
        sim.close(state)

        def med(side: str, key: str) -> float:
            return statistics.median(r[key] for r in times[side]) if times[side] else float("nan")

        where = f"ponder: Python {sys.version.split()[0]}"
        if spux is not None:
            where += f"; SPUX {spux.info['spux']}: Python {spux.info['python']}"
        print(f"ms per particle, median of {args.rounds} interleaved rounds, {n} particles, jobs=1, "
              f"template +{args.extra_mb} MB ({where}); folders in {default_root()}")
        print(f"{'':<40} {'ponder':>8} {'SPUX':>8} {'SPUX/ponder':>12}")
        rows = [("bare run (argv), one folder", "bare argv", True),
                ("bare run (shell=True), one folder", "bare shell", False),
                (f"hand loop over {n} folders (argv)", "hand loop", True),
                ("advance (write, run, read)", "advance", True),
                (f"resample ({n} picks, {n - len(set(picks.tolist()))} clones)", "resample", True)]
        for label, key, both in rows:
            p = med("ponder", key) if both else float("nan")
            s = med("spux", key)
            ratio = f"{s / p:12.1f}" if both and spux is not None else ""
            ps = f"{p:8.3f}" if both else f"{'':>8}"
            ss = f"{s:8.3f}" if spux is not None else f"{'-':>8}"
            print(f"{label:<40} {ps} {ss} {ratio}")
            if key == "advance":
                p, s = (med(side, "advance") - med(side, "hand loop") for side in ("ponder", "spux"))
                ss = f"{s:8.3f}" if spux is not None else f"{'-':>8}"
                print(f"{'  minus its own hand loop':<40} {p:8.3f} {ss}")
        if spux is None:
            print()
            print(HOWTO if not args.spux_python else f"{args.spux_python} does not exist.\n{HOWTO}")
        else:
            print(f"discharges identical on both sides in every round (last: {times['ponder'][-1]['Q'][0]!r})")
    finally:
        if spux is not None:
            spux.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
