"""Model texts and data files for fuzzing ``ponder check`` and ``ponder run``, and the verdict on one case.

Cases come from three sources, each drawn with a :class:`random.Random`
(the property test in ``tests/test_fuzz.py`` hands in Hypothesis's, the
long run in ``benchmarks/fuzz.py`` a seeded one):

* the real models (``examples/*/``, ``tests/lang/bad/``) with their data
  files, mutated token by token: a token deleted, duplicated, swapped with
  its neighbour or replaced (numbers by 0, -1, 1e308, nan, 1/0, huge
  sizes; names by other names, keywords, distributions), deep nesting or
  stray and non-ASCII characters inserted, lines dropped or repeated, the
  text cut short;
* small models built from the grammar's pieces (parameters, constants,
  states, a ``step`` or ``ode`` block, observations, a data file), valid
  or nearly so, so that many of them check and some can be run;
* data files spoilt: a column missing, cells that are not numbers, an empty
  file, a header alone, times unsorted or repeated, huge values, NaN,
  negative counts, ragged rows, a byte-order mark or CR line ends.

:func:`verdict` runs the command in this process (a process per case is
far too slow) and says whether it kept the promise of the command line:
exit 0, 1 or 2, a message on stderr for 1 and 2, never an exception that
escapes ``main`` (a Python traceback).
"""

from __future__ import annotations

import contextlib
import io
import random
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: every token of a model text, comments and whitespace kept, so that a mutation changes only what it means to
_PIECES = re.compile(r'#[^\n]*|"[^"\n]*"|[A-Za-z_][A-Za-z0-9_]*|(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?'
                     r'|\.\.|[<>=!+\-*/]=|\s+|.', re.S)
NUMBERS = ("0", "-1", "1", "0.5", "1e308", "1e309", "-1e308", "1e-320", "nan", "inf", "(1/0)", "(0/0)", "-0",
           "2147483648", "1e9", "1e15", "3.5", "1000000", "99999999999999999999")
KEYWORDS = ("model", "param", "const", "state", "accum", "t0", "step", "ode", "observe", "data", "replicate",
            "infer", "if", "then", "else", "for", "in", "and", "or", "not", "input", "from", "fn", "return",
            "derived", "t", "dt", "d", "pi", "e", "inf")
STRAY = ("@", "$", "'", "\\", "`", "?", "%", "&", "!", "|", "σ", "é", "\u200b", "\x00", "\ufeff", "\t", "\r",
         "\u202e", "𝑥", "™", "{", "}", "(", ")", "[", "]", ",", ";", ":", "~", "=", "..", "^", "**", "\n")
FILE_NAMES = ("", "missing.csv", "*.csv", "../*.csv", ".", "/dev/null", "a" * 300 + ".csv", "sub/", "d.csv\x00x",
              "[.csv", "**/*.csv", "data.csv ")
CELLS = ("", "NA", "nan", "NaN", "inf", "-inf", "1e400", "-1e400", "abc", "1,5", "0x10", " 1 ", "1e-400", "-5",
         "2.5", "1e300", "--1", "\"3\"", "TRUE", "１", "1_000")


@dataclass
class Case:
    """One model text and the files beside it (data files by name)."""

    text: str
    files: dict[str, bytes] = field(default_factory=dict)
    origin: str = ""

    def write(self, folder: Path) -> Path:
        """Write the model (``m.model``) and its files into ``folder``; returns the model's path."""
        for name, data in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        model = folder / "m.model"
        model.write_text(self.text, encoding="utf-8")
        return model


# ------------------------------------------------------------ the real models
def seeds() -> list[Case]:
    """The example models with their data files, and the bad models of the language tests with theirs."""
    out = []
    for model in sorted((ROOT / "examples").glob("*/*.model")) + sorted((ROOT / "tests/lang/bad").glob("*.model")):
        folder = model.parent
        files = {p.relative_to(folder).as_posix(): p.read_bytes()
                 for p in sorted(folder.rglob("*.csv")) if p.stat().st_size < 20_000}
        if folder.name == "bad":  # the bad models share their folder: only the files each names
            text = model.read_text(encoding="utf-8")
            files = {k: v for k, v in files.items() if k in text}
        out.append(Case(model.read_text(encoding="utf-8"), files, f"{folder.name}/{model.name}"))
    return out


def _tokens(text: str) -> list[str]:
    return _PIECES.findall(text)


def _meaningful(pieces: list[str]) -> list[int]:
    return [i for i, p in enumerate(pieces) if p.strip() and not p.startswith("#")]


def mutate_text(text: str, rng: random.Random, names=()) -> str:
    """``text`` after one to three random mutations; ``names``: distributions and functions to put in."""
    for _ in range(rng.randint(1, 3)):
        pieces = _tokens(text)
        spots = _meaningful(pieces)
        if not spots:
            return text + rng.choice(STRAY)
        i = rng.choice(spots)
        token = pieces[i]
        kind = rng.randrange(12)
        if kind == 0:
            pieces[i] = ""
        elif kind == 1:
            pieces[i] = token + " " + token
        elif kind == 2:
            j = spots[min(spots.index(i) + 1, len(spots) - 1)]
            pieces[i], pieces[j] = pieces[j], pieces[i]
        elif kind == 3 or (kind == 4 and token[:1].isdigit()):
            numbers = [k for k in spots if pieces[k][:1].isdigit()] or [i]
            pieces[rng.choice(numbers)] = rng.choice(NUMBERS)
        elif kind == 4:
            words = [p for p in pieces if p[:1].isalpha()] + list(KEYWORDS) + list(names)
            pieces[i] = rng.choice(words)
        elif kind == 5:
            depth = rng.choice((5, 50, 70, 200, 3100))
            wrap = rng.choice((("(", ")"), ("abs(", ")"), ("-", ""), ("[", "]"), ("if 1 < 2 then ", " else 0")))
            pieces[i] = wrap[0] * depth + token + wrap[1] * depth
        elif kind == 6:
            pieces.insert(i, rng.choice(STRAY))
        elif kind == 7:
            strings = [k for k in spots if pieces[k].startswith('"')] or [i]
            pieces[rng.choice(strings)] = '"' + rng.choice(FILE_NAMES) + '"'
        elif kind == 8:
            lines = "".join(pieces).split("\n")
            k = rng.randrange(len(lines))
            lines[k:k + 1] = rng.choice(([], [lines[k]] * 2, [lines[k]] * 3))
            pieces = ["\n".join(lines)]
        elif kind == 9:
            pieces = ["".join(pieces)[:rng.randrange(len(text) + 1)]]
        elif kind == 10:
            pieces[i] = token + rng.choice(("[3]", "[0]", "[1000000]", "[1e9]", "[-1]", "[2.5]", "[1/0]"))
        else:
            pieces[i] = rng.choice(("\n", ";", "{", "}", "(", ")")) + token
        text = "".join(pieces)
    return text


# ------------------------------------------------------------ data files
def mutate_csv(data: bytes, rng: random.Random) -> bytes:
    """A data file spoilt one way: a column, a cell, the rows' order or the whole file."""
    text = data.decode("utf-8", errors="replace")
    rows = [line.split(",") for line in text.splitlines()]
    kind = rng.randrange(10)
    if kind == 0 or not rows:
        return rng.choice((b"", b"\n", b"time\n", b"\xff\xfe\x00t", b"time,y\n", b",\n,\n", b"\x00" * 10))
    header, body = rows[0], rows[1:]
    if kind == 1 and len(header) > 1:  # a column missing
        j = rng.randrange(len(header))
        rows = [r[:j] + r[j + 1:] for r in rows]
    elif kind == 2 and body:  # a cell that is not a number, or a huge one, NaN, negative
        r = rng.randrange(1, len(rows))
        rows[r][rng.randrange(len(rows[r]))] = rng.choice(CELLS)
    elif kind == 3 and len(body) > 1:  # times unsorted or repeated
        a, b = rng.sample(range(1, len(rows)), 2)
        if rng.random() < 0.5:
            rows[a], rows[b] = rows[b], rows[a]
        else:
            rows[b][0] = rows[a][0]
    elif kind == 4:  # a header alone, or rows without a header
        rows = rows[:1] if rng.random() < 0.5 else body
    elif kind == 5 and body:  # a ragged row
        r = rng.randrange(1, len(rows))
        rows[r] = rows[r] + ["1"] if rng.random() < 0.5 else rows[r][:-1]
    elif kind == 6:  # the header's names changed
        rows[0] = [rng.choice(("time", "Time", "", "y", "time ", "t", "time", "x,y")) for _ in header]
    elif kind == 7 and body:  # times 0 and 1e15, or huge counts
        rows[-1][0] = rng.choice(("1e15", "1e300", "-5", "0", "1e-9", "2147483648.5"))
    elif kind == 8:
        return ("\ufeff" + "\r\n".join(",".join(r) for r in rows) + "\r\n").encode("utf-8")
    else:
        rows = rows + [rows[-1]] * rng.choice((1, 2, 50))
    return ("\n".join(",".join(r) for r in rows) + "\n").encode("utf-8")


# ------------------------------------------------------------ small models from the grammar's pieces
_PRIORS = ("Normal(0, 1)", "Uniform(0, 2)", "LogNormal(0, 0.5)", "Gamma(2, 1)", "Beta(2, 2)", "HalfNormal(1)",
           "Exponential(1)", "StudentT(3, 0, 1)", "Laplace(0, 1)", "TruncatedNormal(0, 1, -2, 2)")
_NOISE = ("Normal({x}, {s})", "LogNormal(log(abs({x}) + 1), {s})", "StudentT(4, {x}, {s})", "Laplace({x}, {s})",
          "Poisson(abs({x}) + 0.1)", "NegativeBinomial(abs({x}) + 0.1, 2)")
_DRAWS = ("Normal(0, {s})", "Uniform(-1, 1)", "Poisson(abs({x}) + 0.1)", "Exponential(1)", "Bernoulli(0.5)")


def _expression(rng: random.Random, names: list[str], functions: dict[str, int], depth: int = 2) -> str:
    """A random expression over ``names``: numbers, operators, calls of ``functions`` (name: arity), ``if``."""
    if depth <= 0 or rng.random() < 0.3:
        return rng.choice(names) if names and rng.random() < 0.7 else rng.choice(("1", "0.5", "2", "10", "0.1"))
    kind = rng.randrange(5)
    sub = lambda: _expression(rng, names, functions, depth - 1)  # noqa: E731
    if kind == 0:
        return f"{sub()} {rng.choice('+-*/')} {sub()}"
    if kind == 1 and functions:
        name = rng.choice(sorted(functions))
        return f"{name}({', '.join(sub() for _ in range(functions[name]))})"
    if kind == 2:
        return f"if {sub()} {rng.choice(('<', '>', '<=', '=='))} {sub()} then {sub()} else {sub()}"
    if kind == 3:
        return f"-({sub()})"
    return f"({sub()}) ^ 2"


def generate(rng: random.Random, functions: dict[str, int]) -> Case:
    """A small model built from the grammar's pieces, with a data file it names; ``functions``: name -> arity."""
    params = [f"p{i}" for i in range(rng.randint(1, 3))]
    lines = ["model generated"] + [f"param {p} ~ {rng.choice(_PRIORS)}" for p in params]
    consts = [f"c{i}" for i in range(rng.randint(0, 2))]
    lines += [f"const {c} = {_expression(rng, [], functions, 1)}" for c in consts]
    states = [f"s{i}" for i in range(rng.randint(1, 2))]
    lines += [f"state {s} = {_expression(rng, params + consts, functions, 1)}" for s in states]
    scope = params + consts + states
    dynamics = rng.randrange(3)
    if dynamics == 0:
        body = []
        if rng.random() < 0.6:
            body.append(f"u ~ {rng.choice(_DRAWS).format(x=rng.choice(scope), s='1')}")
            scope = scope + ["u"]
        body += [f"{s} {rng.choice(('=', '+=', '-=', '*='))} {_expression(rng, scope, functions)}" for s in states]
        option = rng.choice(("", "(dt = 0.5)", "(dt = 1)", "(dt = 0.25)"))
        lines.append(f"step{option} {{\n    " + "\n    ".join(body) + "\n}")
    elif dynamics == 1:
        lines.append("ode {\n    " + "\n    ".join(f"d({s}) = -0.1 * {s} + {_expression(rng, params, functions, 1)}"
                                                  for s in states) + "\n}")
    columns = [f"y{i}" for i in range(rng.randint(1, 2))]
    noise = [rng.choice(_NOISE) for _ in columns]
    scale = rng.choice(params)
    lines += [f"observe {c} ~ {n.format(x=rng.choice(states), s=f'abs({scale}) + 0.5')}"
              for c, n in zip(columns, noise)]
    lines.append('data "d.csv"')
    if rng.random() < 0.2:
        lines.append("infer { samples = 20; warmup = 20 }")
    times = range(1, rng.randint(3, 8))
    def value(error_model: str) -> str:
        if error_model.startswith(("Poisson", "NegativeBinomial")):
            return str(rng.randrange(6))
        return f"{abs(rng.gauss(1, 1)) if error_model.startswith('LogNormal') else rng.gauss(1, 1):.3f}"

    rows = ["time," + ",".join(columns)] + [f"{t}," + ",".join(value(n) for n in noise) for t in times]
    return Case("\n".join(lines) + "\n", {"d.csv": ("\n".join(rows) + "\n").encode()}, "generated")


def case(rng: random.Random, corpus: list[Case], functions: dict[str, int], names=()) -> Case:
    """One case: a mutated real model, a generated one (as it is or mutated), and now and then its data spoilt."""
    source = rng.randrange(4)
    if source <= 1:
        seed = rng.choice(corpus)
        made = Case(mutate_text(seed.text, rng, names), dict(seed.files), seed.origin)
    else:
        made = generate(rng, functions)
        if source == 3:
            made.text = mutate_text(made.text, rng, names)
    if made.files and rng.random() < 0.3:
        name = rng.choice(sorted(made.files))
        made.files[name] = mutate_csv(made.files[name], rng)
    return made


# ------------------------------------------------------------ the verdict
@dataclass
class Verdict:
    """What the command did: its exit code and output, and what was wrong with it (None: nothing)."""

    code: int | None
    out: str
    err: str
    problem: str | None


def verdict(args: list[str], allowed=(0, 2)) -> Verdict:
    """Run ``ponder ARGS`` in this process and judge it: an exit code in ``allowed``, a message on stderr when it
    is not 0, no exception out of ``main`` and no traceback in the output."""
    from ponder.cli import main

    out, err = io.StringIO(), io.StringIO()
    code, problem = None, None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    except Exception:  # noqa: BLE001 - any exception out of main is what this looks for
        problem = "exception: " + traceback.format_exc()
    except SystemExit as stop:
        problem = f"SystemExit({stop.code!r})"
    text = err.getvalue()
    if problem is None and code not in allowed:
        problem = f"exit code {code!r}, expected one of {allowed}"
    elif problem is None and code != 0 and not re.search(r"^(error|warning): ", text, re.M):
        problem = f"exit code {code} without a message"
    elif problem is None and "Traceback (most recent call last)" in out.getvalue() + text:
        problem = "a traceback in the output"
    return Verdict(code, out.getvalue(), text, problem)
