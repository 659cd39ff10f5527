"""The probes of ``benchmarks/features.py``, one module per system.

``_common`` holds the probe harness, the notes, the Adult data and the
helpers the systems share; ``skfair_probes``, ``fairlearn_probes``,
``aif360_probes`` and ``sklego_probes`` each hold one system's estimators and
its cell of every feature, one function per feature with the same name in
every module.
"""
