"""Backends: one folder per simulator, each registered in :mod:`snnrun.adapters.registry`."""
