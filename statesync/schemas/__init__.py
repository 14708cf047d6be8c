"""Published JSON Schemas, read with ``importlib.resources.files(__name__)`` and printed by
``statesync schema manifest|config|plan|error``. Each ``$id`` is its file's address on
the main branch (``https://raw.githubusercontent.com/statesync/statesync/main/statesync/
schemas/<file>``).

``manifest-v1.schema.json``: a page manifest; ``config-v1.schema.json``: statesync.yaml.
For editors: completion, hover help and errors as you type through yaml-language-server
(``# yaml-language-server: $schema=<$id>`` on a file's first line). They check what a
schema can express of the validators' rules (statesync.manifest_check, statesync.config);
tests/unit/test_editor_schemas.py keeps the two in step and lists what only
``statesync validate`` sees (duplicate keys, tokens in comments, a page in two files...).

``plan-v1.schema.json``: the output of ``statesync plan --format json``.
``error-v1.schema.json``: what ``statesync plan --format json`` writes instead when the
input is invalid (``statesync.render.json.render_error_json``).
"""
