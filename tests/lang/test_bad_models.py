"""Every malformed model in tests/lang/bad gives exactly its expected message.

Each ``NAME.model`` has ``NAME.err`` beside it: the rendered error (message,
``file:line:col``, source line, caret, hint). Set ``PONDER_REGEN=1`` to
rewrite the ``.err`` files after a deliberate change, then review the diff.
"""

import os
import re
from pathlib import Path

import pytest

import ponder
from ponder.lang.errors import ModelError

BAD = Path(__file__).parent / "bad"
CASES = sorted(p.stem for p in BAD.glob("*.model"))


def render(name: str) -> ModelError:
    text = (BAD / f"{name}.model").read_text()
    with pytest.raises(ModelError) as info:
        ponder.loads(text, base_dir=BAD, name=f"{name}.model")
    return info.value


def test_there_are_at_least_25_cases():
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", CASES)
def test_bad_model_message(name, monkeypatch):
    monkeypatch.chdir(BAD)
    err = render(name)
    text = err.render()
    expected_file = BAD / f"{name}.err"
    if os.environ.get("PONDER_REGEN") == "1":
        expected_file.write_text(text + "\n")
    assert expected_file.exists(), f"no expected message for {name}; run with PONDER_REGEN=1"
    assert text == expected_file.read_text().rstrip("\n")
    # Every message is located: file:line:col with a caret under the culprit.
    assert re.search(r"--> \S+:\d+:\d+", text), text
    assert "^" in text


@pytest.mark.parametrize("name", CASES[:8] + ["data_non_numeric", "missing_brace"])
def test_ponder_check_exits_2_without_traceback(name, ponder_cli):
    result = ponder_cli("check", BAD / f"{name}.model")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert re.search(r"--> .+:\d+:\d+", result.stderr)
