"""Parse ``.model`` text into the typed syntax tree of :mod:`ponder.lang.syntax`.

This is the only module that imports Lark. Syntax errors become
:class:`~ponder.lang.errors.ModelError` with the position of the offending
token and a hint written for people ("missing `}`", "expected a
distribution after `~`").
"""

from __future__ import annotations

import functools
import math

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ponder.lang import limits, messages
from ponder.lang import syntax as ast
from ponder.lang.errors import ModelError, Source, Span


@functools.lru_cache(maxsize=1)
def _lark(strict: bool = False) -> Lark:
    """The LALR parser of ``grammar.lark``.

    ``strict`` (Lark refuses any shift/reduce conflict or terminal collision)
    is what the grammar is held to, by a test; it builds the same parser but
    its collision analysis took half a second of every command's start-up.
    """
    return Lark.open_from_package(
        "ponder.lang", "grammar.lark", parser="lalr", propagate_positions=True, strict=strict
    )


def parse(text: str, name: str = "<input>") -> ast.Program:
    """Parse model text; ``name`` is the file name shown in error messages."""
    source = Source(name, text)
    beyond = limits.token_beyond_limit(text)
    if beyond is not None:
        line = text.count("\n", 0, beyond) + 1
        column = beyond - (text.rfind("\n", 0, beyond) + 1) + 1
        raise messages.model_too_long(limits.MAX_TOKENS, Span.point(line, column), source)
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(err, source) from None
    depth, deepest = limits.tree_depth(tree)
    if depth > limits.MAX_TREE_DEPTH:
        meta = deepest.meta
        raise messages.parse_tree_too_deep(limits.MAX_TREE_DEPTH, Span.point(meta.line, meta.column), source)
    try:
        declarations = _build(tree)
    except ModelError as err:
        raise err.with_source(source) from None
    program = ast.Program(tuple(declarations), source)
    try:
        limits.check_nesting(program)
    except ModelError as err:
        raise err.with_source(source) from None
    return program


def is_incomplete(text: str) -> bool:
    """True when ``text`` is a valid prefix that only lacks its ending.

    The REPL uses this to ask for a continuation line (an open ``{`` or an
    expression cut short) instead of reporting an error.
    """
    try:
        _lark().parse(text)
    except UnexpectedEOF:
        return True
    except UnexpectedToken as err:
        return err.token.type == "$END"
    except UnexpectedInput:
        return False
    return False


# ------------------------------------------------------------ tree building
def _span(meta) -> Span:
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


def _number(tok: Token) -> ast.Number:
    value = float(tok)
    if not math.isfinite(value):
        raise messages.number_too_large(str(tok), _tok_span(tok))
    return ast.Number(value, str(tok), _tok_span(tok))


def _merge(a: Span, b: Span) -> Span:
    return Span(a.line, a.column, b.end_line, b.end_column)


def _build(tree: Tree):
    """The syntax tree of a Lark parse tree: each rule's method of :class:`_Build` on its built children.

    An iterative walk, children before their parents (Lark's ``Transformer`` recurses, and its
    per-call wrappers took most of the time of a large model's parse).
    """
    rules = _Build()
    built: dict[int, object] = {}
    for node in tree.iter_subtrees():
        items = [built.pop(id(c)) if isinstance(c, Tree) else c for c in node.children]
        built[id(node)] = getattr(rules, node.data)(node.meta, items)
    return built[id(tree)]


class _Build:
    """One method per grammar rule, each returning a syntax-tree node from the rule's ``meta`` and children."""

    # --- program
    def start(self, meta, items):
        return [d for d in items if d is not None]

    def empty(self, meta, items):
        return None

    def model_decl(self, meta, items):
        return ast.ModelDecl(str(items[0]), _span(meta))

    def size(self, meta, items):
        return items[0]

    def param_decl(self, meta, items):
        name, *rest = items
        size = rest[0] if len(rest) == 2 else None
        return ast.ParamDecl(str(name), size, rest[-1], _span(meta), _tok_span(name))

    def const_decl(self, meta, items):
        name, value = items
        return ast.ConstDecl(str(name), value, _span(meta), _tok_span(name))

    def state_value(self, meta, items):
        name, *rest = items
        size = rest[0] if len(rest) == 2 else None
        return ast.StateDecl(str(name), size, rest[-1], None, False, _span(meta), _tok_span(name))

    def state_draw(self, meta, items):
        name, *rest = items
        size = rest[0] if len(rest) == 2 else None
        return ast.StateDecl(str(name), size, None, rest[-1], False, _span(meta), _tok_span(name))

    def accum_decl(self, meta, items):
        name, *rest = items
        size = rest[0] if len(rest) == 2 else None
        return ast.StateDecl(str(name), size, rest[-1], None, True, _span(meta), _tok_span(name))

    def t0_decl(self, meta, items):
        return ast.T0Decl(items[0], _span(meta))

    def step_options(self, meta, items):
        return tuple(o for o in items if o is not None)

    def option(self, meta, items):
        name, value = items
        if isinstance(value, Token):
            value = str(value)[1:-1]
        return ast.Option(str(name), value, _span(meta))

    def step_block(self, meta, items):
        options = items[0] if len(items) == 2 else ()
        return ast.StepBlock(options, items[-1], _span(meta))

    def ode_block(self, meta, items):
        options = items[0] if len(items) == 2 else ()
        return ast.OdeBlock(options, items[-1], _span(meta))

    def simulator_decl(self, meta, items):
        name, span = items[0]
        return ast.SimulatorDecl(name, _span(meta), span)

    def dotted_name(self, meta, items):
        return ".".join(str(t) for t in items), _span(meta)

    def output_decl(self, meta, items):
        name, *rest = items
        return ast.OutputDecl(str(name), rest[0] if rest else None, _span(meta), _tok_span(name))

    def observe_decl(self, meta, items):
        target, dist = items
        if target.column is not None:
            raise messages.observe_matrix(target.span)
        return ast.ObserveDecl(target.name, dist, _span(meta), target.name_span, target.index)

    def observe_for(self, meta, items):
        var, start, stop, *body = items
        return ast.ObserveFor(str(var), start, stop, tuple(b for b in body if b is not None), _span(meta),
                              _tok_span(var))

    def input_file(self, meta, items):
        return str(items[0])[1:-1]

    def input_decl(self, meta, items):
        name, *rest = items
        options = tuple(o for part in rest if isinstance(part, tuple) for o in part)
        path = next((p for p in rest if isinstance(p, str)), None)
        return ast.InputDecl(str(name), path, options, _span(meta), _tok_span(name))

    def fn_expr(self, meta, items):
        name, *args, body = items
        args = [a for a in args if a is not None]
        return ast.FnDecl(str(name), tuple(str(a) for a in args), tuple(_tok_span(a) for a in args), (), body,
                          _span(meta), _tok_span(name))

    def fn_local(self, meta, items):
        name, value = items
        return (str(name), value, _tok_span(name))

    def fn_block(self, meta, items):
        name, *rest = items
        body = rest[-1]
        args = [a for a in rest[:-1] if isinstance(a, Token)]
        local_defs = tuple(a for a in rest[:-1] if isinstance(a, tuple))
        return ast.FnDecl(str(name), tuple(str(a) for a in args), tuple(_tok_span(a) for a in args), local_defs,
                          body, _span(meta), _tok_span(name))

    def derived_decl(self, meta, items):
        name, value = items
        return ast.DerivedDecl(str(name), value, _span(meta), _tok_span(name))

    def summary_decl(self, meta, items):
        name, value = items
        return ast.SummaryDecl(str(name), value, _span(meta), _tok_span(name))

    def data_decl(self, meta, items):
        return ast.DataDecl(str(items[0])[1:-1], _span(meta))

    def replicate_decl(self, meta, items):
        path, *overrides = items
        return ast.ReplicateDecl(
            str(path)[1:-1], tuple(o for o in overrides if isinstance(o, ast.ConstDecl)), _span(meta),
            _tok_span(path), tuple(o for o in overrides if isinstance(o, ast.InputDecl)),
        )

    def infer_block(self, meta, items):
        return ast.InferBlock(tuple(s for s in items if s is not None), _span(meta))

    def infer_setting(self, meta, items):
        key, (kind, value) = items
        return ast.InferSetting(str(key), kind, value, _span(meta), _tok_span(key))

    def infer_expr(self, meta, items):
        return ("expr", items[0])

    def infer_range(self, meta, items):
        return ("range", (items[0], items[1]))

    def infer_string(self, meta, items):
        return ("string", str(items[0])[1:-1])

    # --- statements
    def block(self, meta, items):
        return tuple(s for s in items if s is not None)

    def target(self, meta, items):
        name = items[0]
        index = items[1] if len(items) > 1 else None
        column = items[2] if len(items) > 2 else None
        return ast.Target(str(name), index, _span(meta), _tok_span(name), column)

    def assign_op(self, meta, items):
        return str(items[0])

    def assign(self, meta, items):
        target, op, value = items
        return ast.Assign(target, op, value, _span(meta))

    def draw(self, meta, items):
        target, dist = items
        return ast.Draw(target, dist, _span(meta))

    def if_stmt(self, meta, items):
        cond, then, *rest = items
        orelse = None
        if rest:
            orelse = rest[0] if isinstance(rest[0], tuple) else (rest[0],)
        return ast.If(cond, then, orelse, _span(meta))

    def for_stmt(self, meta, items):
        var, start, stop, body = items
        return ast.For(str(var), start, stop, body, _span(meta), _tok_span(var))

    def derivative(self, meta, items):
        name, target, value = items
        if str(name) != "d":
            raise messages.call_as_target(str(name), _tok_span(name))
        return ast.Derivative(target, value, _span(meta))

    def dist_call(self, meta, items):
        name, *args = items
        args = tuple(a for a in args if a is not None)
        return ast.DistCall(str(name), args, _span(meta), _tok_span(name))

    # --- expressions
    def if_expr(self, meta, items):
        return ast.IfExpr(items[0], items[1], items[2], _span(meta))

    def or_op(self, meta, items):
        return ast.Binary("or", items[0], items[1], _span(meta))

    def and_op(self, meta, items):
        return ast.Binary("and", items[0], items[1], _span(meta))

    def not_op(self, meta, items):
        return ast.Unary("not", items[0], _span(meta))

    def comp_op(self, meta, items):
        return str(items[0])

    add_op = mul_op = comp_op

    def compare(self, meta, items):
        return ast.Binary(items[1], items[0], items[2], _span(meta))

    def binary(self, meta, items):
        return ast.Binary(items[1], items[0], items[2], _span(meta))

    def power(self, meta, items):
        return ast.Binary("^", items[0], items[1], _span(meta))

    def negate(self, meta, items):
        return ast.Unary("-", items[0], _span(meta))

    def plus(self, meta, items):
        return items[0]

    def number(self, meta, items):
        return _number(items[0])

    def name(self, meta, items):
        return ast.Name(str(items[0]), _tok_span(items[0]))

    def index(self, meta, items):
        name, idx = items
        return ast.Index(str(name), idx, _span(meta), _tok_span(name))

    def index2(self, meta, items):
        name, row, col = items
        return ast.Index(str(name), row, _span(meta), _tok_span(name), col)

    def vector(self, meta, items):
        return ast.Vector(tuple(items), _span(meta))

    def call(self, meta, items):
        name, *args = items
        args = tuple(a for a in args if a is not None)
        return ast.Call(str(name), args, _span(meta), _tok_span(name))


# ------------------------------------------------------------ syntax errors
_TOKEN_TEXT = {
    "RBRACE": "`}`", "LBRACE": "`{`", "RPAR": "`)`", "LPAR": "`(`", "RSQB": "`]`",
    "LSQB": "`[`", "COMMA": "`,`", "SEMICOLON": "`;`", "EQUAL": "`=`", "TILDE": "`~`",
    "NAME": "a name", "NUMBER": "a number", "STRING": "a quoted string", "COLON": "`:`",
    "$END": "the end of the file", "CIRCUMFLEX": "`^`", "PLUS": "`+`", "MINUS": "`-`",
    "STAR": "`*`", "SLASH": "`/`", "LESSTHAN": "`<`", "MORETHAN": "`>`",
}

_KEYWORDS = {
    "model", "param", "const", "state", "accum", "t0", "step", "ode", "observe", "data",
    "replicate", "infer", "if", "then", "else", "for", "in", "and", "or", "not",
    "input", "from", "fn", "return", "derived", "simulator", "output", "summary",
}


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "the end of the file"
    if str(tok).lower() in _KEYWORDS and tok.type != "NAME":
        return f"keyword `{tok}`"
    return f"`{tok}`"


def _describe_expected(expected) -> str:
    names = []
    for e in sorted(expected):
        text = _TOKEN_TEXT.get(e)
        if text is None and e.startswith("__"):
            try:
                text = f"`{_lark().get_terminal(e).pattern.value}`"
            except KeyError:
                continue
        if text is None:
            text = f"`{e.lower()}`" if e.isalpha() else e.strip('"')
            if not text.startswith("`") and not text.startswith("a "):
                text = f"`{text}`"
        names.append(text)
    names = sorted(set(names))
    if len(names) > 6:
        return ""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


_DECL_STARTS = {"MODEL", "PARAM", "CONST", "STATE", "ACCUM", "T0", "STEP", "ODE", "OBSERVE",
                "DATA", "REPLICATE", "INFER", "INPUT", "FN", "DERIVED", "SIMULATOR", "OUTPUT",
                "SUMMARY"}


def _declaration_keyword(err: UnexpectedToken) -> str | None:
    """The keyword that starts the declaration the parser was in (``PARAM``, ``OBSERVE``, ...), if it saw one."""
    for tok in reversed(getattr(err, "token_history", None) or []):
        if tok.type in _DECL_STARTS:
            return tok.type
    state = getattr(err, "state", None)
    for tok in reversed(list(getattr(state, "value_stack", None) or [])):
        if isinstance(tok, Token) and tok.type in _DECL_STARTS:
            return tok.type
    return None


def _syntax_error(err: UnexpectedInput, source: Source) -> ModelError:
    if isinstance(err, UnexpectedCharacters):
        char = source.text[err.pos_in_stream] if err.pos_in_stream < len(source.text) else "?"
        return messages.unexpected_character(char, Span.point(err.line, err.column), source)
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        lines = source.text.rstrip().splitlines() or [""]
        line = len(lines)
        column = len(lines[-1]) + 1
        expected = getattr(err, "expected", None) or getattr(err, "accepts", None) or set()
        opens = source.text.count("{") - source.text.count("}")
        described = _describe_expected(expected) if expected and opens <= 0 else ""
        return messages.unexpected_end_of_file(Span.point(line, column), source, unclosed_brace=opens > 0,
                                               expected=described)
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    expected = set(err.accepts or err.expected or ())
    situation = None
    prev = err.token_history[-1] if getattr(err, "token_history", None) else None
    if prev is not None and prev.type == "TILDE" or (tok.type != "NAME" and expected == {"NAME"} and prev is not None and str(prev) == "~"):
        situation = "after_tilde"
    elif "RBRACE" in expected and tok.type in _DECL_STARTS:
        situation = "missing_brace"
    elif "LPAR" in expected and prev is not None and prev.type == "NAME" and expected <= {"LPAR"}:
        situation = "call_without_parentheses"
    elif tok.type == "EQUAL" and "TILDE" in expected:
        situation = "observe_with_equals" if _declaration_keyword(err) == "OBSERVE" else "param_with_equals"
    elif tok.type == "NAME" and prev is not None and prev.type in ("NAME", "NUMBER", "RPAR") and expected & {"PLUS", "STAR", "MINUS"}:
        situation = "two_values"
    elif tok.type == "STAR" and prev is not None and prev.type == "STAR":
        situation = "double_star"
    elif tok.type == "NAME" and str(tok) in ("elif", "elseif"):
        situation = "elif"
    elif len(expected & _DECL_STARTS) >= 3:  # between declarations
        situation = "closes_nothing" if tok.type in ("RPAR", "RSQB", "RBRACE") else "declaration"
    described = _describe_expected(expected) if situation is None and expected else ""
    return messages.unexpected_token(_describe_token(tok), _tok_span(tok), source, situation, described)
