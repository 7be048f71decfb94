"""Untrusted model text cannot run Python; compiled kernels are reused across processes."""

import io
import keyword
import os
import subprocess
import sys
import textwrap
import tokenize

import pytest

import ponder
from ponder.lang import ModelError, codegen, parse
from ponder.lang.check import check
from ponder.stdlib import BUILTIN_LIBRARY, DISTRIBUTIONS, FUNCTIONS

MARKER = "ponder_pwned_marker"

HOSTILE = [
    # names that are Python builtins, dunders and keywords
    "param __import__ ~ Normal(0, 1)\nparam exec ~ Normal(0, 1)\nstate os = __import__ + exec\n"
    "step { eval = os * 2; os = eval }\nobserve system ~ Normal(os, 1)",
    "param import_ ~ Normal(0, 1)\nstate lambda_ = 0\nstep { globals = 1; lambda_ += globals + import_ }",
    # strings: only data paths and infer values are strings, never emitted
    f'state x = 0\ninfer {{ resampling = "__import__(\'os\').system(\'touch {MARKER}\')" }}',
    # numbers: huge and tiny literals are finite floats or rejected
    "state x = 1e308 * 10\nstate y = 0.0000000001e-300",
    # an ode block: the generated rhs and the solvers copied next to it
    "param exec ~ Normal(0, 1)\nstate os = 1\node { __import__ = exec * os; d(os) = -__import__ }\n"
    "observe system ~ Normal(os, 1)",
]

NOT_MODELS = [
    f"state x = __import__('os').system('touch {MARKER}')",
    f"state x = 1; import os; os.system('touch {MARKER}')",
    f'model m\nstate x = 0\n"""\nimport os\nos.system("touch {MARKER}")\n"""',
    "state x = 1e999",
    "state x = (lambda: 1)()",
    "state `x` = 1",
    # an infer value naming no registered sampler is refused when the model is loaded
    f'state x = 0\ninfer {{ sampler = "__import__(\'os\').system(\'touch {MARKER}\')" }}',
]


def emitted_names(source: str) -> set[str]:
    names = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME:
            names.add(tok.string)
    return names


def allowed_name(name: str) -> bool:
    if keyword.iskeyword(name) or name in {"math", "np", "numba", "jit", "range", "int", "float", "round", "max",
                                           "min", "abs", "True", "False"}:
        return True
    if name.startswith(("p_", "c_", "s_", "l_", "i_", "v_", "y_", "dist_", "fn_")):
        return True
    if name[:2] in ("q_", "r_") and name[2:].isdigit():  # the loops and values of vector operations
        return True
        return True
    stdlib = {d.logpdf.__name__ for d in DISTRIBUTIONS.values()} | {d.sample.__name__ for d in DISTRIBUTIONS.values()}
    stdlib |= {d.support.__name__ for d in DISTRIBUTIONS.values()} | {f.impl.__name__ for f in FUNCTIONS.values()}
    fixed = set(emitted_names(BUILTIN_LIBRARY.ode_solvers)) | {
        "ponder", "numpy", "stdlib", "distributions", "functions", "N_PARAMS", "N_STATES", "N_CONSTS", "N_OBS", "njit",
        "cache", "nogil", "error_model", "compute_consts", "overrides", "out", "prior_logpdf", "theta", "consts",
        "lp", "k", "prior_sample", "rng", "row", "shape", "prior_support", "lower", "upper", "lo", "hi", "init",
        "t0", "X", "n", "advance", "t1", "n_sub", "k_sub", "obs_logpdf", "obs_logpdf_cols", "obs_sample", "obs_args", "t",
        "y", "acc", "rhs", "dy", "i", "ok", "rk4_integrate", "rk45_integrate", "empty", "nan", "isfinite",
        "prior_logpdf_rows", "inf", "N_INPUTS", "N_DERIVED", "derived_rows", "thetas",
    } | set(emitted_names(codegen._INPUT_AT))
    return name in stdlib or name in fixed


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_but_valid_models_emit_only_validated_names(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = ponder.loads(text)
    source = model.compiled.code
    bad = sorted(n for n in emitted_names(source) if not allowed_name(n))
    assert bad == [], f"unexpected names in generated code: {bad}"
    assert "touch" not in source and "system(" not in source
    model.simulate({p: 0.5 for p in model.param_names}, times=[0, 1])
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize("text", NOT_MODELS)
def test_code_smuggled_as_model_text_is_a_model_error(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelError):
        ponder.loads(text)
    assert not (tmp_path / MARKER).exists()


def test_codegen_refuses_non_identifiers_even_if_the_checker_were_bypassed():
    model = check(parse("state x = 1"), BUILTIN_LIBRARY)
    broken = model.__class__(**{**model.__dict__, "states": (model.states[0].__class__(
        "x); import os #", 0, 0, model.states[0].init, None, False),)})
    with pytest.raises(ValueError):
        codegen.generate(broken, "test", BUILTIN_LIBRARY)


@pytest.mark.parametrize("dynamics", ["step { e ~ Normal(a, 1); x += e }", "ode { d(x) = -a * x }"])
def test_second_process_reuses_compiled_kernels(tmp_path, dynamics):
    """The first process compiles and caches; the second hits Numba's cache for every kernel."""
    model_file = tmp_path / "walk.model"
    model_file.write_text(f"param a ~ Normal(0, 1)\nstate x = 0\n{dynamics}\nobserve y ~ Normal(x, 1)\n")
    script = textwrap.dedent(
        f"""
        import json, time
        start = time.perf_counter()
        import ponder
        m = ponder.load({str(model_file)!r})
        m.simulate({{"a": 0.1}}, times=range(5), seed=1)
        from ponder.runtime.kernels import link
        k = m.kernels
        kernels = [k.compute_consts, k.prior_logpdf, link(m.compiled).simulate_run]
        k.prior_logpdf(m.theta({{"a": 0.1}}), m.consts())
        print(json.dumps({{
            "seconds": time.perf_counter() - start,
            "misses": sum(sum(f.stats.cache_misses.values()) for f in kernels),
            "hits": sum(sum(f.stats.cache_hits.values()) for f in kernels),
        }}))
        """
    )
    env = {**os.environ, "PONDER_CACHE": str(tmp_path / "cache")}
    import json

    runs = [json.loads(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                      check=True).stdout) for _ in range(2)]
    cold, warm = runs
    assert cold["misses"] > 0
    assert warm["misses"] == 0 and warm["hits"] >= 3
    assert (tmp_path / "cache" / "kernels").is_dir()
