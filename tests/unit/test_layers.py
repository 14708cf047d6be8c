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


def test_the_emulators_modules_import_each_other_without_cycles() -> None:
    """Type-checking imports count too: a handler that needs the router's types
    would otherwise tie the two modules into one."""
    import grimp

    graph = grimp.build_graph("statesync")
    emulator = sorted(m for m in graph.modules if m.startswith("statesync.emulator"))
    cycles = [
        (a, b)
        for a in emulator
        for b in emulator
        if a < b
        and graph.chain_exists(importer=a, imported=b)
        and graph.chain_exists(importer=b, imported=a)
    ]
    assert cycles == []
