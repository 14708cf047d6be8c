"""A tab in YAML indentation is named, with its line and column, in every file
statesync reads: manifests and statesync.yaml share the loader (statesync.yamlnodes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from statesync.config import load_config
from statesync.errors import ConfigError, ManifestError
from statesync.manifest import load_desired

TAB = "a tab character at column 1 indents this line; YAML indentation must use spaces"


def test_in_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text('page: "1"\nposts:\n  spring:\n\tmessage: Hi\n')
    with pytest.raises(ManifestError) as caught:
        load_desired(tmp_path, display_base=tmp_path)
    assert str(caught.value) == f"acme.yaml:4: {TAB}"


def test_in_statesync_yaml(tmp_path: Path) -> None:
    (tmp_path / "statesync.yaml").write_text("graph:\n\tapi_version: v26.0\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, display_base=tmp_path)
    assert str(caught.value) == f"statesync.yaml:2: {TAB}"
