"""The raw httpx client every contract test talks through."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from statesync.emulator.server import RunningEmulator


@pytest.fixture
def client(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, trust_env=False, timeout=10) as http:
        yield http
