"""An example third-party ponder plugin: a coordinate-wise slice sampler.

Installing the package registers the sampler ``slice`` through the entry
point group ``ponder`` (see ``pyproject.toml``); the hook and the sampler
live in :mod:`ponder_slice.plugin`.
"""

__version__ = "0.1.0"
