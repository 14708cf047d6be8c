"""The import-linter contracts stay whole as modules are added: the emulator's
contract names every module of the client, so a new one cannot slip past it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import statesync

PACKAGE = Path(statesync.__file__).parent
NOT_CLIENT = {"statesync.emulator", "statesync.__init__", "statesync.__main__"}


def test_the_emulator_contract_forbids_every_client_module() -> None:
    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    emulator = next(
        c for c in contracts if c["source_modules"] == ["statesync.emulator"]
    )
    modules = {
        f"statesync.{path.stem if path.is_file() else path.name}"
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").is_file())
    }
    assert sorted(modules - NOT_CLIENT) == sorted(emulator["forbidden_modules"])
