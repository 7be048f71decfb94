"""ponder's own features as plugin modules, one per feature, registered like any third party's.

The plugin manager registers the modules named in
:data:`ponder.plugins.manager.DEFAULT_PLUGINS`; each imports what it
registers.
"""
