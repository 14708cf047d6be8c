"""Published JSON Schemas, read with ``importlib.resources.files(__name__)``.

``plan-v1.schema.json``: the output of ``statesync plan --format json``.
"""
