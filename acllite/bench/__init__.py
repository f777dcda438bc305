"""Microbenchmarks behind ``acllite bench``: :mod:`.memcpy` (copy bandwidth against numpy) and :mod:`.calls`
(cost of one cheap call by path: binding, checked wrapper, ctypes, direct cffi without the dispatch table).

Each ``run(args)`` prints a table and returns one record per measurement (keys: :data:`._timing.RECORD_KEYS`
plus extras). Baselines are measured in the same run, interleaved with what they are compared with: compare
ratios, not absolute figures across runs or machines.
"""
