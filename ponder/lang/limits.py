"""How deep a model's text may nest, and the recursion room the compiler's passes get.

The parser, the check, lowering and code generation walk expressions
recursively, and the generated module must stay within Python's own limits
(200 nested parentheses, 100 indentation levels, 20 nested loops). So a
model's nesting is measured right after parsing, iteratively, and refused
with a located message beyond:

* :data:`MAX_EXPRESSION_NESTING` levels of expressions inside expressions
  (parentheses, calls, ``-x``, ``if ... then ... else``, ``^``), where a
  chain of ``+ -`` or of ``* /`` counts as one level however long it is
  (``a + b + c + ...`` is emitted as one flat Python expression);
* :data:`MAX_CHAIN` terms in one such chain, and :data:`MAX_TREE_DEPTH`
  levels of the parse tree in all;
* :data:`MAX_BLOCK_NESTING` nested ``if``/``for`` blocks, of which at most
  :data:`MAX_LOOP_NESTING` loops.

Within these limits the passes recurse at most a few frames per level, so
:func:`recursion_room` lifts Python's recursion limit enough for them.

Before any of that a model may hold at most :data:`MAX_TOKENS` tokens:
the parser handles some 20,000 tokens a second, so a model of 50,000
lines (some 250,000 tokens) checks in about 14 s here, and a larger text
(110,000 statements, an expression of a million characters) is refused
at once instead of after minutes; :func:`token_beyond_limit` counts them
with one regular expression. The largest example has 434.
"""

from __future__ import annotations

import contextlib
import re
import sys
from dataclasses import fields, is_dataclass

from ponder.lang import messages
from ponder.lang import syntax as ast

MAX_TOKENS = 300_000
MAX_EXPRESSION_NESTING = 60
MAX_CHAIN = 2000
MAX_TREE_DEPTH = 3000
MAX_BLOCK_NESTING = 40
MAX_LOOP_NESTING = 10

#: frames the passes may need: a few per level of the deepest tree allowed
_RECURSION = 8 * MAX_TREE_DEPTH + 2000


@contextlib.contextmanager
def recursion_room():
    """Python's recursion limit raised (never lowered) while the compiler's passes run."""
    old = sys.getrecursionlimit()
    if old < _RECURSION:
        sys.setrecursionlimit(_RECURSION)
    try:
        yield
    finally:
        if old < _RECURSION:
            sys.setrecursionlimit(old)


#: the grammar's tokens (comments too, which are skipped); any other character is a token of its own
_TOKEN = re.compile(r'#[^\n]*|"[^"\n]*"|[A-Za-z_][A-Za-z0-9_]*|(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?'
                    r'|\.\.|[<>=!+\-*/]=|\S')


def token_beyond_limit(text: str) -> int | None:
    """The offset in ``text`` of its first token past :data:`MAX_TOKENS`, or None when it has no more."""
    if len(text) <= MAX_TOKENS:  # every token is at least one character
        return None
    count = 0
    for match in _TOKEN.finditer(text):
        if text[match.start()] != "#":
            count += 1
            if count > MAX_TOKENS:
                return match.start()
    return None


def tree_depth(tree) -> tuple[int, object]:
    """The depth of a Lark parse tree and its deepest subtree, without recursion."""
    deepest, where = 0, tree
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest, where = depth, node
        for child in getattr(node, "children", ()):
            if hasattr(child, "children"):
                stack.append((child, depth + 1))
    return deepest, where


def check_nesting(program) -> None:
    """Raise a located ModelError where ``program`` nests beyond the limits above (an iterative walk)."""
    expressions = (ast.Number, ast.Name, ast.Index, ast.Vector, ast.Call, ast.Unary, ast.Binary, ast.IfExpr)
    groups = {"+": "add", "-": "add", "*": "mul", "/": "mul"}

    def children(node):
        out = []
        for f in fields(node):
            value = getattr(node, f.name)
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                if isinstance(item, tuple):  # a function's (name, value, span) locals
                    out.extend(x for x in item if is_dataclass(x) and not isinstance(x, ast.Span))
                elif is_dataclass(item) and not isinstance(item, (ast.Span, ast.Source)):
                    out.append(item)
        return out

    stack = [(decl, 0, 0, 0, 1) for decl in program.declarations]
    while stack:
        node, level, blocks, loops, chain = stack.pop()
        span = getattr(node, "span", None)
        if level > MAX_EXPRESSION_NESTING:
            raise messages.nested_too_deeply("expressions", MAX_EXPRESSION_NESTING, span)
        if chain > MAX_CHAIN:
            raise messages.chain_too_long(MAX_CHAIN, span)
        if blocks > MAX_BLOCK_NESTING:
            raise messages.nested_too_deeply("`if` and `for` blocks", MAX_BLOCK_NESTING, span)
        if loops > MAX_LOOP_NESTING:
            raise messages.nested_too_deeply("`for` loops", MAX_LOOP_NESTING, span)
        for child in children(node):
            if (isinstance(node, ast.Binary) and child is node.left and isinstance(child, ast.Binary)
                    and groups.get(child.op) is not None and groups.get(child.op) == groups.get(node.op)):
                stack.append((child, level, blocks, loops, chain + 1))  # the same chain: emitted flat
            elif isinstance(child, expressions):
                stack.append((child, level + 1, blocks, loops, 1))
            elif isinstance(node, ast.For):
                stack.append((child, level, blocks + 1, loops + 1, 1))
            elif isinstance(node, ast.If):
                stack.append((child, level, blocks + 1, loops, 1))
            else:
                stack.append((child, level, blocks, loops, 1))
