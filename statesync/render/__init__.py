"""Renderers: Plan -> str. Each reads the same Plan value.

``text`` for the terminal, ``markdown`` for a pull-request comment or job summary,
``json`` for machines (schema: ``statesync/schemas/plan-v1.schema.json``; an invalid
input's error document: ``error-v1.schema.json``).
"""
