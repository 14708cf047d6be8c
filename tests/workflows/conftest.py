"""The `runner` fixture: a fake GitHub Actions runner (fakerunner.py)."""

from tests.workflows.fakerunner import runner

__all__ = ["runner"]
