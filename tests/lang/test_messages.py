"""The message catalogue, :mod:`ponder.lang.messages`, and the convention around it.

Every user-facing message of the converted modules is one function of the
catalogue, and call sites ``raise messages.X(...)``. These tests check that
the converted modules build no ``ModelError`` themselves, that every
function of the catalogue renders, uses each of its arguments and holds its
own message, that every ``messages.X(...)`` call in the package names a
function that exists with arguments its signature accepts, and that the
catalogue has no dead entries. The texts themselves are pinned by
``tests/lang/bad/*.err`` and the tests of each command.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import typing
from pathlib import Path
from typing import Any, Iterable

import pytest

from ponder.lang import messages
from ponder.lang.errors import ModelError, Source, Span

PACKAGE = Path(messages.__file__).resolve().parents[1]
CATALOGUE = Path(messages.__file__).resolve()

#: Modules whose messages all live in the catalogue (paths below ponder/).
CONVERTED = (
    "lang/check.py",
    "lang/parser.py",
    "runtime/data.py",
    "model.py",
    "cli.py",
    "arguments.py",
    "plugins/options.py",
    "plugins/registry.py",
    "session.py",
    "runtime/likelihoods/particle_filter.py",
    "runtime/settings.py",
    "runtime/samplers/ensemble.py",
    "runtime/samplers/tempering.py",
    "runtime/results.py",
    "runtime/checkpoint.py",
    "runtime/run.py",
    "runtime/likelihoods/direct.py",
    "runtime/likelihoods/select.py",
    "runtime/samplers/metropolis.py",
    "runtime/executors.py",
    "runtime/problem.py",
    "runtime/repeat.py",
    "runtime/target.py",
    "runtime/methods/__init__.py",
)

FUNCTIONS = {
    name: fn
    for name, fn in inspect.getmembers(messages, inspect.isfunction)
    if fn.__module__ == messages.__name__ and not name.startswith("_")
}

SOURCE = Source("example.model", "param sigma ~ Gamma(2, 1)\nstate x = sigma\n")
SPAN = Span(1, 7, 1, 12)

#: An example argument for each annotation the catalogue uses.
EXAMPLES: dict[Any, Any] = {
    str: "zq",
    str | None: "zq",
    int: 3,
    float: 2.5,
    bool: True,
    type: int,
    Any: "zq_value",
    Span: SPAN,
    Span | None: SPAN,
    Source: SOURCE,
    Source | None: SOURCE,
    Iterable[str]: ["alpha", "beta", "gamma"],
    Iterable[Any]: ("fast", "slow"),
    ModelError: ModelError("zq_message"),
}


def _hints(fn) -> dict[str, Any]:
    return typing.get_type_hints(fn, vars(messages))


def _arguments(fn) -> dict[str, Any]:
    """Example values for the parameters of ``fn`` without defaults, by annotation (a distinct string per name)."""
    hints = _hints(fn)
    out = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.default is not inspect.Parameter.empty:
            continue
        assert name in hints, f"messages.{fn.__name__}: annotate `{name}`"
        assert hints[name] in EXAMPLES, f"messages.{fn.__name__}: add an example for `{hints[name]}` to EXAMPLES"
        value = EXAMPLES[hints[name]]
        out[name] = f"zq_{name}" if value == "zq" else value
    return out


def _variants(fn) -> list[dict[str, Any]]:
    """The required arguments, then once more with each optional flag flipped."""
    base = _arguments(fn)
    out = [base]
    for name, param in inspect.signature(fn).parameters.items():
        if isinstance(param.default, bool):
            out.append({**base, name: not param.default})
    return out


def _cases():
    for name, fn in sorted(FUNCTIONS.items()):
        for i, kwargs in enumerate(_variants(fn)):
            yield pytest.param(fn, kwargs, id=f"{name}-{i}")
    for situation in messages.TOKEN_HINTS:
        yield pytest.param(messages.unexpected_token, {"token": "`x`", "span": SPAN, "source": SOURCE,
                                                       "situation": situation}, id=f"unexpected_token-{situation}")
    for char in "'*.!&|@":
        yield pytest.param(messages.unexpected_character, {"char": char, "span": SPAN, "source": SOURCE},
                           id=f"unexpected_character-{char}")


# ------------------------------------------------------------ the scan of the package
def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _model_error_calls(tree: ast.AST) -> list[ast.Call]:
    """``ModelError(...)`` and ``x.ModelError(...)`` calls (and ``ModelWarning``: warnings are messages too)."""
    names = ("ModelError", "ModelWarning")
    return [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and ((isinstance(node.func, ast.Name) and node.func.id in names)
             or (isinstance(node.func, ast.Attribute) and node.func.attr in names))
    ]


def _is_text(node: ast.AST | None) -> bool:
    """A string literal, an f-string, or text built from them (``"a" + b``, ``"%s" % x``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    return False


def _inline_messages(tree: ast.AST) -> list[int]:
    """Lines of ``ModelError`` calls whose message or hint is text written at the call."""
    lines = []
    for call in _model_error_calls(tree):
        texts = call.args[:1] + [k.value for k in call.keywords if k.arg in ("message", "hint")]
        if any(_is_text(t) for t in texts):
            lines.append(call.lineno)
    return lines


def _imports_catalogue(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.ImportFrom) and node.module == "ponder.lang" and node.level == 0
        and any(a.name == "messages" and a.asname is None for a in node.names)
        for node in ast.walk(tree)
    )


def _catalogue_calls() -> list[tuple[Path, ast.Call, str]]:
    """Every ``messages.NAME(...)`` call in the package, in the modules that import the catalogue."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == CATALOGUE or "templates" in path.parts:
            continue
        tree = _tree(path)
        if not _imports_catalogue(tree):
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "messages"):
                found.append((path, node, node.func.attr))
    return found


def test_the_scanner_sees_inline_messages(tmp_path):
    """The scan itself fires on planted inline messages, and lets a catalogue call pass."""
    path = tmp_path / "m.py"
    path.write_text(
        "def f(name, span):\n"
        "    raise ModelError(f'unknown `{name}`', span)\n"
        "def g():\n"
        "    raise errors.ModelError('bad', hint='a ' + 'hint')\n"
        "def h(message):\n"
        "    raise ModelError(message, hint='see --help')\n"
        "def i(name, span):\n"
        "    raise messages.unknown_distribution(name, span, ())\n"
    )
    tree = _tree(path)
    assert _inline_messages(tree) == [2, 4, 6]
    assert len(_model_error_calls(tree)) == 3


# ------------------------------------------------------------ the converted modules
@pytest.mark.parametrize("module", CONVERTED)
def test_converted_modules_build_no_model_error(module):
    tree = _tree(PACKAGE / module)
    inline = _inline_messages(tree)
    assert not inline, f"ponder/{module} writes messages inline on lines {inline}: add them to ponder/lang/messages.py"
    calls = [c.lineno for c in _model_error_calls(tree)]
    assert not calls, f"ponder/{module} builds ModelError itself on lines {calls}: call ponder.lang.messages"
    assert _imports_catalogue(tree), f"ponder/{module} does not import ponder.lang.messages"


@pytest.mark.parametrize("module", CONVERTED)
def test_converted_modules_do_not_reword_errors(module):
    """No ``err.message = ...`` / ``err.hint = ...`` after the fact: the catalogue has the final text."""
    rewrites = [
        node.lineno for node in ast.walk(_tree(PACKAGE / module))
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute) and target.attr in ("message", "hint")
    ]
    assert not rewrites, f"ponder/{module} rewrites an error's text on lines {rewrites}"


# ------------------------------------------------------------ the catalogue itself
def test_the_catalogue_imports_only_errors_and_the_standard_library():
    imported = set()
    for node in ast.walk(_tree(CATALOGUE)):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add(node.module)
    allowed = set(sys.stdlib_module_names) | {"__future__", "ponder.lang.errors"}
    bad = sorted(m for m in imported if m not in allowed and m.split(".")[0] not in sys.stdlib_module_names)
    assert not bad, f"ponder/lang/messages.py may import only ponder.lang.errors and the standard library: {bad}"


def test_the_catalogue_is_not_empty_and_documents_its_convention():
    assert len(FUNCTIONS) >= 90
    doc = messages.__doc__ or ""
    assert "one function per message" in doc
    assert "raise messages." in doc


def test_every_function_holds_one_message_of_its_own():
    """Each public function builds exactly one ModelError, and no two build the same message text."""
    tree = _tree(CATALOGUE)
    templates: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        calls = _model_error_calls(node)
        assert len(calls) == 1, f"messages.{node.name} builds {len(calls)} ModelErrors; one function per message"
        assert calls[0].args, f"messages.{node.name}: the message is ModelError's first argument"
        template = ast.unparse(calls[0].args[0])
        assert template not in templates, (
            f"messages.{node.name} and messages.{templates[template]} both build the message {template}: merge them"
        )
        templates[template] = node.name
    assert set(templates) and set(templates.values()) == set(FUNCTIONS)


def test_every_function_uses_all_its_arguments():
    for name, fn in FUNCTIONS.items():
        node = ast.parse(inspect.getsource(fn)).body[0]
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        unused = [p for p in inspect.signature(fn).parameters if p not in used]
        assert not unused, f"messages.{name} ignores its arguments {unused}"


@pytest.mark.parametrize("fn, kwargs", list(_cases()))
def test_every_function_returns_a_model_error_that_renders(fn, kwargs):
    err = fn(**kwargs)
    assert isinstance(err, ModelError), f"messages.{fn.__name__} returns {type(err).__name__}, not a ModelError"
    assert isinstance(err.message, str) and err.message, "empty message"
    assert err.message == err.message.strip() and "\n" not in err.message
    assert err.hint is None or (isinstance(err.hint, str) and err.hint and err.hint == err.hint.strip())
    if "span" in kwargs:
        assert err.span is kwargs["span"], f"messages.{fn.__name__} drops its span"
    else:
        assert err.span is None
    if "source" in kwargs:
        assert err.source is kwargs["source"], f"messages.{fn.__name__} drops its source"
    text = err.render()
    lines = text.splitlines()
    assert lines[0] == f"{err.severity}: {err.message}" and err.severity in ("error", "warning")
    if err.hint:
        assert lines[-1].endswith(f"= hint: {err.hint}")
    if "span" in kwargs and "source" in kwargs:
        assert lines[1] == f"  --> {SOURCE.name}:{SPAN.line}:{SPAN.column}"
        assert SOURCE.line(SPAN.line) in text and "^" * (SPAN.end_column - SPAN.column) in text
    # no f-string without its f, no placeholder left unfilled
    shown = err.message + " " + (err.hint or "")
    leftover = re.search(r"\{[A-Za-z_][\w.]*(![rsa])?(:[^{}`]*)?\}", shown)
    assert leftover is None, f"messages.{fn.__name__} leaves {leftover.group()} unfilled: {shown}"


def test_every_located_message_has_a_hint():
    """A message that points into the model or a data file also says what to do next (issue 13: 58% did): every
    rendering above with a span, and those whose span is optional given one. A new located message without a hint,
    or a branch of one that leaves it out, fails here."""
    cases = [(p.values[0], p.values[1]) for p in _cases()]
    for fn in FUNCTIONS.values():
        parameters = inspect.signature(fn).parameters
        if "span" in parameters and parameters["span"].default is None:
            optional = {"span": SPAN, **({"source": SOURCE} if "source" in parameters else {})}
            cases += [(fn, {**kwargs, **optional}) for kwargs in _variants(fn)]
    located = [(fn, kwargs, fn(**kwargs)) for fn, kwargs in cases]
    located = [(fn, kwargs, err) for fn, kwargs, err in located if err.span is not None]
    assert len(located) >= 150
    bare = [f"messages.{fn.__name__}({', '.join(f'{k}={v!r}' for k, v in kwargs.items() if k not in ('span', 'source'))})"
            f": {err.message}" for fn, kwargs, err in located if not err.hint]
    assert not bare, "located messages without a hint:\n" + "\n".join(bare)


@pytest.mark.parametrize(
    "call, message, hint",
    [
        (lambda: messages.unknown_distribution("Normall", SPAN, ["Normal", "Gamma"]),
         "unknown distribution `Normall`", "did you mean `Normal`?"),
        (lambda: messages.unknown_distribution("Zzz", SPAN, ["Normal", "Gamma"]),
         "unknown distribution `Zzz`", "distributions are `Gamma` or `Normal`"),
        (lambda: messages.undefined_name("acc", SPAN, ["x"]), "undefined name `acc`",
         "declare it with `param`, `const`, `state` or `input`, or assign it in a block above this use"),
        (lambda: messages.undefined_name("acc", SPAN, ["x"], updated=True),
         "undefined name `acc`", "`acc` is not defined yet; start with `acc = ...`"),
        (lambda: messages.undefined_name("acc", SPAN, ["acc2"], updated=True),
         "undefined name `acc`", "did you mean `acc2`?"),
        (lambda: messages.vector_needs_index("v", 3, SPAN),
         "`v` is a vector of 3 values", "pick one value with an index: `v[i]`"),
        (lambda: messages.vector_needs_index("v", 3, SPAN, target=True),
         "`v` is a vector of 3 values", "pick one with an index: `v[i]`"),
        (lambda: messages.not_a_whole_number("a loop bound", 2.5, SPAN), "a loop bound must be a whole number, not 2.5",
         "write a whole number, such as 2, or a `const` that holds one"),
        (lambda: messages.distribution_arity("Exponential", ["rate"], 2, SPAN),
         "`Exponential` takes 1 argument, not 2", "`Exponential(rate)`"),
        (lambda: messages.model_file_not_found(Path("models/walkk.model"), ["walk.model"]),
         "model file `models/walkk.model` not found", "did you mean `walk.model`?"),
        (lambda: messages.model_file_not_found(Path("walk.model")), "model file `walk.model` not found", None),
        (lambda: messages.option_below_minimum("n", "the `mh` sampler", 1, "0", "n (int, default 3): a count"),
         "option `n` of the `mh` sampler must be at least 1, not `0`", "n (int, default 3): a count"),
        (lambda: messages.option_wrong_type("n", "", int, "x", "n (int)"), "`n` takes a whole number, not `x`",
         "n (int)"),
        (lambda: messages.unknown_option("the `mh` sampler", "scal", ["scale"]),
         "the `mh` sampler has no option `scal`", "did you mean `scale`? options are `scale`"),
        (lambda: messages.unknown_option("the `x` sampler", "a", []),
         "the `x` sampler has no option `a`", "the `x` sampler takes no options"),
        (lambda: messages.unexpected_end_of_file(SPAN, SOURCE, unclosed_brace=True, expected="`)`"),
         "unexpected end of file", "a `{` is never closed: add `}`"),
    ],
)
def test_wording_of_merged_and_conditional_messages(call, message, hint):
    err = call()
    assert (err.message, err.hint) == (message, hint)


# ------------------------------------------------------------ the call sites
def test_every_catalogue_call_names_a_function_and_fits_its_signature():
    calls = _catalogue_calls()
    assert len(calls) >= len(FUNCTIONS)
    problems = []
    for path, call, name in calls:
        where = f"{path.relative_to(PACKAGE.parent)}:{call.lineno}"
        if name not in FUNCTIONS:
            problems.append(f"{where}: messages.{name} does not exist")
            continue
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            continue
        try:
            inspect.signature(FUNCTIONS[name]).bind(*call.args, **{k.arg: k.value for k in call.keywords})
        except TypeError as err:
            problems.append(f"{where}: messages.{name}(...) does not fit its signature: {err}")
    assert not problems, "\n".join(problems)


def test_every_function_of_the_catalogue_is_used():
    used = {name for _, _, name in _catalogue_calls()}
    dead = sorted(set(FUNCTIONS) - used)
    assert not dead, f"messages nobody raises (remove them, or raise them): {dead}"


def test_every_token_situation_is_recognised_by_the_parser():
    parser = _tree(PACKAGE / "lang" / "parser.py")
    strings = {n.value for n in ast.walk(parser) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    missing = sorted(set(messages.TOKEN_HINTS) - strings)
    assert not missing, f"hints the parser never chooses: {missing}"
