"""Named things that plugins provide, with the package each came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ponder.lang import messages


@dataclass(frozen=True)
class Entry:
    name: str
    value: Any
    description: str
    plugin: str  # the package or module that registered it


class Registry:
    """A name -> entry table for one kind of plugin object (e.g. likelihoods)."""

    def __init__(self, kind: str):
        self.kind = kind
        self.entries: dict[str, Entry] = {}
        self._plugin = "?"

    def add(self, name: str, value: Any, description: str = "") -> None:
        """Register ``value`` under ``name``; a name can be registered once."""
        if name in self.entries:
            prev = self.entries[name].plugin
            raise ValueError(f"{self.kind} `{name}` is registered twice (by {prev} and {self._plugin})")
        self.entries[name] = Entry(name, value, description, self._plugin)

    def get(self, name: str) -> Any:
        """The value registered as ``name``, or a ModelError listing what exists."""
        try:
            return self.entries[name].value
        except KeyError:
            if not self.entries:
                raise messages.none_of_kind_registered(self.kind, name) from None
            raise messages.unknown_plugin(self.kind, name, self.entries) from None

    def names(self) -> list[str]:
        return sorted(self.entries)

    def __contains__(self, name: str) -> bool:
        return name in self.entries
