"""Sandboxes: a program that reads and writes files, run in a working folder per particle, as a simulator.

Many existing models are programs (C, Fortran, Java) that read a parameter
file, read and write a state file and write their outputs. SPUX couples such
codes through per-particle "sandbox" folders; :class:`Sandbox` does the same
behind ponder's simulator contract (:mod:`ponder.runtime.simulators.contract`),
so a ``.model`` file can name it with ``simulator NAME`` once a plugin
registers it::

    from ponder.sandbox import sandbox

    def write_inputs(folder, theta, consts, t0, t1, seed):
        (folder / "params.txt").write_text(f"{theta['k']!r} {t0!r} {t1!r} {consts['rain'](t0)!r}\\n")

    def read_outputs(folder):
        return {"Q": float((folder / "discharge.txt").read_text())}

    reservoir = sandbox("template/", ["/opt/hydro/bin/reservoir"], write_inputs, read_outputs, outputs=["Q"],
                        modified=["state.txt"])

For every particle and every interval ``[t0, t1]``: ``seed`` is drawn from
the run's generator (particle by particle, before any command runs, so the
results do not depend on ``jobs``; 0 for a deterministic program), ``write_inputs`` writes the inputs, the
command runs in the particle's folder (an argument list, never a shell, with
a timeout), and ``read_outputs`` reads what it wrote. A particle whose run
fails -- a nonzero exit status, a timeout, an exception in a callback, an
output missing -- has NaN outputs, so the filter gives it zero weight and
counts it; if every particle of one interval fails, the run stops with the
command, its exit status and the end of its stderr.

The folders::

    ROOT/ponder-sandbox-XXXXXXXX/      0700; one per Sandbox and process; ROOT is /dev/shm where it can be written
        template/                        a private copy of the template folder
        state-XXXXXXXX/p0, p1, ...       one folder per estimate (0700), one per particle inside it

A particle's folder holds hard links to the private copy's files (free
whatever their size), except the files named in ``modified``, which are
copied. When the filter resamples, particle ``i`` becomes a clone of particle
``indices[i]``: the first particle to pick a folder takes it over, every
further one gets a clone, and the folders nobody picked are removed. A clone
hard-links the files it shares with the template and copies every other file
(the ones the runs wrote), so clones never share a file a run writes.
``modified`` must therefore list the template's files that the program
rewrites in place; the first interval of every estimate checks that the
template's linked files are unchanged and stops, naming the file, if one was
written.

Folders are removed by :meth:`Sandbox.close` (ponder's likelihood loops call
it after every estimate, also after an error or Ctrl-C), when a state is
garbage-collected, and at the exit of the process (``weakref.finalize``). A
process killed outright (SIGKILL) leaves its ``ponder-sandbox-*`` folder.
"""

from __future__ import annotations

import contextlib
import math
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ponder.lang import messages
from ponder.runtime.simulators.contract import SimulatorCapabilities

#: characters of a failed run's stderr kept for the message
STDERR_KEPT = 2000

# each run leads its own process group, so a timeout or Ctrl-C kills what it started too; `process_group` (3.11)
# keeps subprocess's fast vfork path, which `start_new_session` leaves (a run then costs about twice as much)
_OWN_GROUP = {"process_group": 0} if sys.version_info >= (3, 11) else {"start_new_session": True}


def default_root() -> Path:
    """``/dev/shm`` (a RAM filesystem) where it exists and can be written, else the system's temporary folder."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return Path(tempfile.gettempdir())


def _remove(path: Path, pid: int) -> None:
    """Remove ``path`` if this is the process that made it (a forked child must not remove its parent's)."""
    if os.getpid() == pid:
        shutil.rmtree(path, ignore_errors=True)


class _Failure:
    """Why one particle's run failed, and the end of its stderr."""

    __slots__ = ("reason", "stderr")

    def __init__(self, reason: str, stderr: bytes | str = b""):
        self.reason = reason
        text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
        self.stderr = text[-STDERR_KEPT:]


class SandboxState:
    """The particles of one estimate: one folder each, inside the state's own folder ``root``.

    ``failures`` counts the failed runs over the state's life; ``last_failure``
    and ``last_stderr`` say why the latest one failed.
    """

    def __init__(self, root: Path, consts: Mapping):
        self.root = root
        self.consts = consts
        self.folders: list[Path] = []
        self.values: dict[str, np.ndarray] | None = None  # the outputs the last advance read
        self.failures = 0
        self.last_failure: str | None = None
        self.last_stderr = ""
        self.advances = 0
        self.closed = False
        self._made = 0
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self._finalizer = weakref.finalize(self, _remove, root, os.getpid())

    def new_folder(self) -> Path:
        """A name for a particle folder not used before in this state."""
        self._made += 1
        return self.root / f"p{self._made - 1}"

    def __len__(self) -> int:
        return len(self.folders)

    def __repr__(self) -> str:
        return f"SandboxState({len(self.folders)} particles in {self.root}, {self.failures} failures)"


class Sandbox:
    """The simulator contract around a program run in one working folder per particle (see the module docstring).

    ``template``: the folder every particle's folder starts as. ``command``:
    the program and its arguments, a list (never a shell string); the
    program is an absolute path, a path relative to the template folder or
    the current folder, or a name found on ``PATH``, resolved here.
    ``write_inputs(folder, theta, consts, t0, t1, seed)`` writes what the
    program reads for one interval; ``read_outputs(folder) -> {name: float}``
    reads what it wrote; ``outputs``: the names ``read_outputs`` gives (what
    a model may declare with ``output NAME``). ``deterministic``: the program
    draws no random numbers (the model gets the exact likelihood).
    ``timeout``: seconds a run may take. ``modified``: the template's files
    the program rewrites in place (copied into each folder; every other
    template file is hard-linked). ``root``: where the folders go (default
    :func:`default_root`). ``parameters``: the names of ``theta`` and
    ``consts`` the callbacks read (checked against the model). ``jobs``: how
    many particles' programs run at once. ``init_state(folder, theta,
    consts)``: prepares a fresh particle's folder at ``t0``.
    """

    def __init__(self, template: str | os.PathLike, command: Sequence[str | os.PathLike],
                 write_inputs: Callable, read_outputs: Callable, outputs: Iterable[str], *,
                 deterministic: bool = False, timeout: float = 60.0, modified: Iterable[str] = (),
                 root: str | os.PathLike | None = None, parameters: Iterable[str] | None = None, jobs: int = 1,
                 init_state: Callable | None = None):
        if isinstance(command, (str, bytes, os.PathLike)):
            raise TypeError("a sandbox's command is a list of arguments, such as ['/usr/bin/model', 'run'], "
                            f"never a shell string: got {command!r}")
        command = [os.fspath(a) for a in command]
        if not command or not all(isinstance(a, str) for a in command):
            raise TypeError(f"a sandbox's command is a non-empty list of strings, not {command!r}")
        self.template = Path(template).resolve()
        if not self.template.is_dir():
            raise ValueError(f"the sandbox's template {str(self.template)!r} is not a folder")
        self.command = [_resolve_program(command[0], self.template)] + command[1:]
        self.write_inputs = write_inputs
        self.read_outputs = read_outputs
        self.output_names = tuple(outputs)
        if not self.output_names:
            raise ValueError("a sandbox needs the names of the outputs read_outputs gives")
        if not timeout > 0:
            raise ValueError(f"a sandbox's timeout is a positive number of seconds, not {timeout!r}")
        if int(jobs) < 1:
            raise ValueError(f"a sandbox runs at least one job at a time, not {jobs!r}")
        self.timeout = float(timeout)
        self.modified = frozenset(Path(m).as_posix() for m in modified)
        self.root = Path(root) if root is not None else None
        self.parameters = tuple(parameters) if parameters is not None else None
        self.jobs = int(jobs)
        self.init_state = init_state
        self.capabilities = SimulatorCapabilities(deterministic=deterministic, thread_safe=True, vectorised=False)
        self._lock = threading.Lock()
        self._home: Path | None = None  # ROOT/ponder-sandbox-*, made at the first init
        self._base: Path | None = None  # the private copy of the template
        self._linked: dict[str, tuple[int, int, int]] = {}  # template file -> (inode, mtime, size) of its copy
        self._inodes: frozenset[tuple[int, int]] = frozenset()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0

    def __repr__(self) -> str:
        return f"Sandbox({shlex.join(self.command)!r}, template={str(self.template)!r}, outputs={self.output_names})"

    # ------------------------------------------------------------ the contract
    def init(self, theta, consts, n, rng) -> SandboxState:
        """``n`` particle folders made from the template (and ``init_state``), in a fresh folder of their own."""
        base = self._ensure_base()
        state = SandboxState(Path(tempfile.mkdtemp(prefix="state-", dir=self._home)), consts)
        try:
            for _ in range(n):
                folder = state.new_folder()
                self._clone(base, folder)
                if self.init_state is not None:
                    self.init_state(folder, theta, consts)
                state.folders.append(folder)
        except BaseException:
            self.close(state)
            raise
        return state

    def advance(self, state: SandboxState, t0, t1, theta, rng) -> SandboxState:
        """Every particle's program run once from ``t0`` to ``t1``; NaN outputs where a run failed."""
        n = len(state.folders)
        # a deterministic program takes no seed: the exact likelihood's generator is not drawn from
        seeds = [0] * n if self.capabilities.deterministic else [int(rng.integers(2 ** 63)) for _ in range(n)]
        tasks = [(state, folder, theta, float(t0), float(t1), seed) for folder, seed in zip(state.folders, seeds)]
        if self.jobs == 1 or n == 1:
            results = [self._run_one(*task) for task in tasks]
        else:
            results = list(self._executor().map(lambda task: self._run_one(*task), tasks))
        failed = [r for r in results if isinstance(r, _Failure)]
        state.values = self._gather(results)
        state.failures += len(failed)
        if failed:
            state.last_failure, state.last_stderr = failed[-1].reason, failed[-1].stderr
        if state.advances == 0:
            self._check_template()
        state.advances += 1
        if n and len(failed) == n:
            raise messages.sandbox_runs_failed(shlex.join(self.command), n, float(t0), float(t1),
                                               failed[-1].reason, _tail(failed[-1].stderr))
        return state

    def outputs(self, state: SandboxState) -> dict[str, np.ndarray]:
        """``{name: array (n,)}`` read by the last advance (before any: read from the fresh folders, NaN where
        that fails)."""
        if state.values is None:
            state.values = self._gather([self._read(folder) for folder in state.folders])
        return state.values

    def resample(self, state: SandboxState, indices) -> SandboxState:
        """Particle ``i`` becomes particle ``indices[i]``: a folder's first taker keeps it, later ones get clones,
        the folders nobody picked are removed."""
        indices = [int(i) for i in indices]
        old = state.folders
        taken: set[int] = set()
        folders: list[Path | None] = [None] * len(indices)
        for i, j in enumerate(indices):
            if j not in taken:
                folders[i] = old[j]
                taken.add(j)
        for i, j in enumerate(indices):
            if folders[i] is None:
                folders[i] = state.new_folder()
                self._clone(old[j], folders[i])
        for j, folder in enumerate(old):
            if j not in taken:
                shutil.rmtree(folder, ignore_errors=True)
        state.folders = folders
        if state.values is not None:
            state.values = {name: v[indices] for name, v in state.values.items()}
        return state

    def close(self, state: SandboxState) -> None:
        """Stop the state's running programs and remove its folders."""
        with state._lock:
            state.closed = True
            running = list(state._running)
        for proc in running:
            _kill(proc)
        state._finalizer()

    # ------------------------------------------------------------ one particle
    def _run_one(self, state: SandboxState, folder: Path, theta, t0: float, t1: float, seed: int):
        """The outputs of one particle's run, or a :class:`_Failure`."""
        if state.closed:
            return _Failure("the estimate was closed")
        try:
            self.write_inputs(folder, theta, state.consts, t0, t1, seed)
        except Exception as err:  # noqa: BLE001 - a failed particle, reported if they all fail
            return _Failure(f"write_inputs raised {type(err).__name__}: {err}")
        try:
            proc = subprocess.Popen(self.command, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, **_OWN_GROUP)
        except OSError as err:
            return _Failure(f"could not start it: {err}")
        with state._lock:
            state._running.add(proc)
            closed = state.closed
        # the timeout kills from a timer thread: communicate(timeout=...) would poll for the exit, sleeping 0.5 ms
        # or more after every run (a third of what a run of a small program costs)
        timed_out = threading.Event()
        timer = threading.Timer(self.timeout, lambda: (timed_out.set(), _kill(proc)))
        timer.daemon = True
        try:
            if closed:
                _kill(proc)
            timer.start()
            try:
                _, stderr = proc.communicate()
            finally:
                timer.cancel()
            if timed_out.is_set() and proc.returncode != 0:
                return _Failure(f"timed out after {self.timeout:g} s", stderr)
        except BaseException:  # Ctrl-C while waiting: the program and its children go too
            _kill(proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)  # reaped, not left a zombie
            raise
        finally:
            with state._lock:
                state._running.discard(proc)
        if proc.returncode != 0:
            status = (f"killed by signal {-proc.returncode}" if proc.returncode < 0
                      else f"exit status {proc.returncode}")
            return _Failure(status, stderr)
        values = self._read(folder)
        if isinstance(values, _Failure):
            values.stderr = stderr.decode("utf-8", "replace")[-STDERR_KEPT:]
        return values

    def _read(self, folder: Path):
        """``read_outputs(folder)`` as ``{name: float}`` for every declared output, or a :class:`_Failure`."""
        try:
            got = self.read_outputs(folder)
            return {name: float(got[name]) for name in self.output_names}
        except KeyError as err:
            return _Failure(f"read_outputs gave no output {err}")
        except Exception as err:  # noqa: BLE001 - a missing or garbled output file: a failed particle
            return _Failure(f"read_outputs raised {type(err).__name__}: {err}")

    def _gather(self, results) -> dict[str, np.ndarray]:
        return {name: np.array([math.nan if isinstance(r, _Failure) else r[name] for r in results], dtype=float)
                for name in self.output_names}

    # ------------------------------------------------------------ folders
    def _ensure_base(self) -> Path:
        """The private copy of the template (on the folders' filesystem, so they can hard-link to it)."""
        with self._lock:
            if self._home is None or not self._home.is_dir():
                root = self.root if self.root is not None else default_root()
                root.mkdir(parents=True, exist_ok=True)
                self._home = Path(tempfile.mkdtemp(prefix="ponder-sandbox-", dir=root))
                weakref.finalize(self, _remove, self._home, os.getpid())
                self._base = None
            if self._base is None:
                base = self._home / "template"
                shutil.copytree(self.template, base, symlinks=True)
                linked = {}
                for path in base.rglob("*"):
                    rel = path.relative_to(base).as_posix()
                    if path.is_file() and not path.is_symlink() and rel not in self.modified:
                        st = path.stat()
                        linked[rel] = (st.st_ino, st.st_mtime_ns, st.st_size)
                self._linked = linked
                self._inodes = frozenset((base.stat().st_dev, ino) for ino, _, _ in linked.values())
                self._base = base
            return self._base

    def _clone(self, src: Path, dst: Path) -> None:
        """``dst`` a copy of folder ``src``: hard links to the template's linked files, copies of every other."""
        dst.mkdir()
        with os.scandir(src) as entries:
            for entry in entries:
                target = dst / entry.name
                if entry.is_symlink():
                    os.symlink(os.readlink(entry.path), target)
                elif entry.is_dir():
                    self._clone(Path(entry.path), target)
                else:
                    st = entry.stat()
                    if (st.st_dev, st.st_ino) in self._inodes:
                        os.link(entry.path, target)
                    else:
                        shutil.copy2(entry.path, target)

    def _check_template(self) -> None:
        """Stop if a run wrote into a hard-linked template file (every particle would share what it wrote)."""
        base = self._base
        if base is None:
            return
        for rel, (ino, mtime, size) in self._linked.items():
            try:
                st = (base / rel).stat()
            except FileNotFoundError:
                continue  # the private copy was removed (process exit): nothing is shared any more
            if (st.st_ino, st.st_mtime_ns, st.st_size) != (ino, mtime, size):
                with self._lock:
                    shutil.rmtree(base, ignore_errors=True)
                    self._base = None  # the next estimate copies the template afresh
                raise messages.sandbox_template_written(rel, shlex.join(self.command))

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="ponder-sandbox")
                self._pool_pid = os.getpid()
            return self._pool


def _resolve_program(program: str, template: Path) -> str:
    """The absolute path of the command's program: as given if absolute, a path relative to the template folder
    (else the current folder), or a name looked up on ``PATH``."""
    if os.sep in program or (os.altsep and os.altsep in program):
        path = Path(program)
        if not path.is_absolute():
            path = template / program if (template / program).exists() else Path.cwd() / program
        found = str(path) if path.is_file() and os.access(path, os.X_OK) else None
    else:
        found = shutil.which(program)
    if found is None:
        raise messages.sandbox_program_not_found(program, str(template))
    return os.path.abspath(found)


def _kill(proc: subprocess.Popen) -> None:
    """Kill ``proc`` and everything it started (it leads its own process group); once it has been waited for,
    its id may belong to another process, so it is left alone."""
    if proc.returncode is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(stderr: str, lines: int = 6) -> str:
    """The last few non-blank lines of ``stderr``, on one line."""
    kept = [line.strip() for line in stderr.splitlines() if line.strip()][-lines:]
    return " | ".join(kept)[-600:]


def sandbox(template: str | os.PathLike, command: Sequence[str | os.PathLike], write_inputs: Callable,
            read_outputs: Callable, outputs: Iterable[str], **options) -> Sandbox:
    """A :class:`Sandbox`: ``command`` run in a copy of ``template`` per particle (see the class for ``options``)."""
    return Sandbox(template, command, write_inputs, read_outputs, outputs, **options)


__all__ = ["Sandbox", "SandboxState", "default_root", "sandbox"]
