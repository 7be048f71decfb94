"""``ponder repl``: an interactive console on a :class:`ponder.Session`.

Built on :class:`code.InteractiveConsole`: lines are collected until they
form a complete piece of model text (an open ``{`` asks for more with the
``...`` prompt), then added to the session's model; lines starting with
``:`` are commands. readline gives line editing, a history kept in
``~/.ponder_history`` (or ``$PONDER_HISTORY``) and tab completion of
commands, keywords, distributions, functions, the model's names and file
names.
"""

from __future__ import annotations

import code
import glob
import os
import sys
from pathlib import Path

from ponder.lang.errors import ModelError
from ponder.lang.parser import is_incomplete
from ponder.session import COMMANDS, Session

KEYWORDS = ("model", "param", "const", "state", "accum", "t0", "step", "ode", "observe", "data", "replicate",
            "infer", "if", "then", "else", "for", "in", "and", "or", "not")
FILE_COMMANDS = (":load", ":save", ":data")
PROMPT, CONTINUE = "ponder> ", "......> "


class PonderConsole(code.InteractiveConsole):
    """Model text and ``:commands`` instead of Python."""

    def __init__(self, session: Session):
        super().__init__()
        self.session = session

    def runsource(self, source: str, filename: str = "<input>", symbol: str = "single") -> bool:
        """Handle what has been typed so far; True asks for another line."""
        from ponder.console import print_error

        text = source.strip()
        if not text or text.startswith("#"):
            return False
        try:
            if text.startswith(":"):
                self.session.command(text)
                return False
            if is_incomplete(source + "\n"):
                return True
            self.session.add(source)
        except ModelError as err:
            print_error(err)
        except KeyboardInterrupt:
            self.session.console.print("[yellow]interrupted[/]")
        except (OSError, ValueError) as err:  # e.g. an unreadable file; the session stays as it was
            self.session.console.print(f"[red]error[/]: {err}")
        return False


class Completer:
    """readline completion: commands after ``:``, files after :load/:save/:data, else names."""

    def __init__(self, session: Session):
        self.session = session
        self.matches: list[str] = []

    def candidates(self, line: str, word: str) -> list[str]:
        from ponder import plots
        from ponder.stdlib import DISTRIBUTIONS, FUNCTIONS

        words = line.split()
        head = words[0] if words else ""
        position = len(words) + (1 if line.endswith(" ") or not words else 0)  # which word is being typed
        if line.lstrip().startswith(":") and " " not in line.lstrip():
            return [f":{c}" for c in COMMANDS if f":{c}".startswith(word)]
        if head in FILE_COMMANDS:
            return [p + ("/" if os.path.isdir(p) else "") for p in sorted(glob.glob(os.path.expanduser(word) + "*"))]
        if head == ":plot" and position == 2:
            return [k for k in ("simulation",) + plots.figure_kinds() if k.startswith(word)]
        if head == ":help":
            return [c for c in COMMANDS if c.startswith(word)]
        if head in (":simulate", ":loglik", ":plot"):
            model = self.session.model
            names = model.param_names if model is not None else []
            return [f"{n}=" for n in names if n.startswith(word)]
        words = list(KEYWORDS) + list(DISTRIBUTIONS) + list(FUNCTIONS) + self.session.names
        return sorted({w for w in words if w.startswith(word)})

    def complete(self, text: str, state: int):
        if state == 0:
            import readline

            try:
                self.matches = self.candidates(readline.get_line_buffer(), text)
            except Exception:  # completion must never break the prompt
                self.matches = []
        return self.matches[state] if state < len(self.matches) else None


def history_path() -> Path:
    return Path(os.environ.get("PONDER_HISTORY") or Path.home() / ".ponder_history")


def _setup_readline(session: Session):
    """Completion and persistent history; returns a function that saves the history."""
    try:
        import readline
    except ImportError:  # pragma: no cover - e.g. Windows without pyreadline
        return lambda: None
    completer = Completer(session)
    readline.set_completer(completer.complete)
    readline.set_completer_delims(" \t\n=(),")
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    path = history_path()
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(2000)

    def save():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)
        except OSError:
            pass

    return save


def run(model_path: str | None = None) -> int:
    """Start the REPL (optionally on a model file); returns the exit code."""
    from ponder.version import __version__
    from ponder.console import print_error

    session = Session()
    banner = f"ponder {__version__} REPL: type model declarations, or :help for the commands (:quit or Ctrl-D to leave)"
    session.console.print(banner)
    if model_path is not None:
        try:
            session.load(model_path)
        except ModelError as err:
            print_error(err)
    save_history = _setup_readline(session)
    sys.ps1, sys.ps2 = PROMPT, CONTINUE
    console = PonderConsole(session)
    try:
        console.interact(banner="", exitmsg="")
    except SystemExit:
        pass
    finally:
        save_history()
    return 0
