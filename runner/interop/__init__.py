"""Interoperability: the Neuromorphic Intermediate Representation (NIR) in both directions, and export
of results to the electrophysiology formats Neo/NIX and NWB. Nothing here imports nir, neo or pynwb
until it is used; the ``nir`` and ``nwb`` extras install them. Conventions: docs/interop.md."""
