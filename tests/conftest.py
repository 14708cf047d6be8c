"""Shared fixtures: one emulator per session on loopback, reset before each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from statesync.emulator.seed import load_seed_file
from statesync.emulator.server import RunningEmulator, start_emulator

SEED_PATH = Path(__file__).parent / "seed.yaml"
_ENV_PREFIXES = ("STATESYNC_", "FACEBOOK_", "ONEALL_")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may see the developer's tokens or settings."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def seed() -> dict[str, Any]:
    """tests/seed.yaml, parsed: the values the emulator fixture serves."""
    return load_seed_file(SEED_PATH)


@pytest.fixture(scope="session")
def emulator_server(seed: dict[str, Any]) -> Iterator[RunningEmulator]:
    server = start_emulator(
        seed=seed, host="127.0.0.1", port=0
    )  # the OS picks the port
    yield server
    server.stop()


@pytest.fixture
def emulator(
    emulator_server: RunningEmulator,
    seed: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> RunningEmulator:
    """The session's emulator, back to the seed, with the environment pointing at it."""
    emulator_server.reset()
    user = seed["users"][0]
    monkeypatch.setenv("STATESYNC_GRAPH_URL", emulator_server.url)
    monkeypatch.setenv("STATESYNC_ONEALL_URL", emulator_server.url)
    monkeypatch.setenv("FACEBOOK_ACCESS_TOKEN", user["token"])
    monkeypatch.setenv("ONEALL_PUBLIC_KEY", seed["oneall"]["public_key"])
    monkeypatch.setenv("ONEALL_PRIVATE_KEY", seed["oneall"]["private_key"])
    monkeypatch.setenv("ONEALL_IDENTITY_TOKEN", user["oneall_identity_token"])
    return emulator_server
