"""Published JSON Schemas, read with ``importlib.resources.files(__name__)``.

``manifest-v1.schema.json`` and ``config-v1.schema.json``: a page manifest and
statesync.yaml, for editors (completion and hover help through yaml-language-server);
tests/unit/test_editor_schemas.py keeps them in step with the validators.

``plan-v1.schema.json``: the output of ``statesync plan --format json``.
``error-v1.schema.json``: what ``statesync plan --format json`` writes instead when the
input is invalid (``statesync.render.json.render_error_json``).
"""
