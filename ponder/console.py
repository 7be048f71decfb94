"""Terminal output shared by the command line and the REPL: consoles and compiler-style errors."""

from __future__ import annotations

from ponder.lang.errors import ModelError

#: the width of a console that does not write to a terminal: wide enough that no table is cut or wrapped
LOG_WIDTH = 1000


def console(stderr: bool = False, file=None, soft_wrap: bool = True):
    """A rich console on stdout (or stderr, or ``file``); ``soft_wrap``: long lines are left to the terminal.

    Off a terminal (output redirected to a file or a pipe) it is
    :data:`LOG_WIDTH` wide unless ``COLUMNS`` says otherwise: rich's default
    of 80 columns would cut table cells to "parame…" in a log.
    """
    import os

    from rich.console import Console

    out = Console(stderr=stderr, file=file, highlight=False, soft_wrap=soft_wrap)
    if not out.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
        out.width = LOG_WIDTH
    return out


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


#: a model's warnings printed in full; one line counts the rest (a generated model can have thousands)
MAX_WARNINGS_SHOWN = 20


def print_warnings(warnings) -> None:
    """Render a model's warnings (:class:`~ponder.lang.errors.ModelWarning`) to stderr, one after another: the
    first :data:`MAX_WARNINGS_SHOWN`, then how many more there are."""
    warnings = list(warnings)
    for warning in warnings[:MAX_WARNINGS_SHOWN]:
        print_error(warning)
    if len(warnings) > MAX_WARNINGS_SHOWN:
        more = len(warnings) - MAX_WARNINGS_SHOWN
        console(stderr=True).print(f"[bold yellow]warning[/]: and {more:,} more warnings", highlight=False)


def print_run_warnings(warnings, out=None) -> None:
    """Print a run's warnings (:func:`ponder.runtime.convergence.run_warnings`), each a line that starts with a
    yellow ``warning:``, to ``out`` (a rich console; default: stderr). The text is printed as it is: no markup
    or emoji codes in it are interpreted."""
    from rich.text import Text

    out = out if out is not None else console(stderr=True)
    for line in warnings:
        out.print(Text.assemble(("warning:", "bold yellow"), " ", (str(line), "yellow")))
