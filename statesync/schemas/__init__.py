"""Published JSON Schemas, read with ``importlib.resources.files(__name__)``.

``plan-v1.schema.json``: the output of ``statesync plan --format json``.
``error-v1.schema.json``: what ``statesync plan --format json`` writes instead when the
input is invalid (``statesync.render.json.render_error_json``).
"""
