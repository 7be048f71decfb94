"""An example ponder plugin: adds the ``Gumbel`` distribution and the ``hill`` function to the language."""
