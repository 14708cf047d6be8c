"""How statesync talks to a service: writers, and optionally readers, of page posts.

httpx's ``__init__`` imports its command-line client (``httpx._main``: click, rich and
pygments) whenever they are installed, and rich is installed with statesync. That
doubled httpx's import, about 70-90 ms of every networked command (encode/httpx#3547,
upstream discussion #3523). Every module that imports httpx lives in this package, so
registering a stand-in for the CLI module here, before any of them runs, keeps it out;
nothing in statesync uses httpx's CLI.
"""

from __future__ import annotations

import importlib.machinery
import sys
import types


def _httpx_cli_stand_in() -> types.ModuleType:
    module = types.ModuleType("httpx._main", "httpx's CLI, not loaded by statesync")
    module.__spec__ = importlib.machinery.ModuleSpec("httpx._main", None)

    def main() -> None:
        raise SystemExit("httpx's command-line client is not loaded inside statesync")

    module.main = main  # type: ignore[attr-defined]
    return module


if "httpx" not in sys.modules:  # too late once httpx is imported: nothing to gain
    sys.modules.setdefault("httpx._main", _httpx_cli_stand_in())
