"""SPUX's random walk written as existing Python code, coupled to ponder as external simulators."""
