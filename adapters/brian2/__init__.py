"""The Brian2 backend (``--backend brian2``, installed by the ``brian2`` extra).

Importing this package does not import Brian2; :class:`~.adapter.Brian2Adapter` imports it when it runs.
"""
