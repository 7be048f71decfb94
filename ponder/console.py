"""Terminal output shared by the command line and the REPL: consoles and compiler-style errors."""

from __future__ import annotations

from ponder.lang.errors import ModelError


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_error(err: ModelError) -> None:
    """Render a ModelError to stderr, with colour when stderr is a terminal."""
    from rich.text import Text

    err_console = console(stderr=True)
    text = Text()
    lines = err.render().splitlines()
    for i, line in enumerate(lines):
        if i == 0:
            text.append(err.severity, style="bold red" if err.severity == "error" else "bold yellow")
            text.append(line[len(err.severity):], style="bold")
        elif line.lstrip().startswith("= hint"):
            text.append(line, style="cyan")
        elif set(line.strip()) <= {"^", "|"} and "^" in line:
            bar = line.index("|") + 1
            text.append(line[:bar], style="blue")
            text.append(line[bar:], style="bold red")
        elif line.lstrip().startswith("-->"):
            text.append(line, style="blue")
        else:
            text.append(line)
        text.append("\n")
    err_console.print(text, end="")


def print_warnings(warnings) -> None:
    """Render a model's warnings (:class:`~ponder.lang.errors.ModelWarning`) to stderr, one after another."""
    for warning in warnings:
        print_error(warning)
