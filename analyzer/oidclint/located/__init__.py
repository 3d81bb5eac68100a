"""Located values read from YAML and JSON: every string, mapping and sequence keeps the
span it was written at (``documents``), JSON text with computed pieces spliced in
(``json_text``), and where each character of a scalar is written (``scalar_positions``).

Shared by every reader; imports only ``oidclint.source``, ``oidclint.limits``, and, for the
files of the tree a reader reaches (``tree_files``), ``oidclint.reading`` and
``oidclint.dependencies``.
"""
