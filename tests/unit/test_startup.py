"""The CLI starts as fast as Python: nothing heavy is imported before a command
needs it (issue 20). Checked as a mechanism, in a fresh interpreter, never timed."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("httpx", "httpcore", "deepdiff", "rich", "tenacity", "yaml", "starlette")


def _imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    loaded = set(result.stdout.split())
    return {name for name in HEAVY if name in loaded}


def test_importing_the_cli_imports_no_heavy_dependency() -> None:
    assert _imported_after("import statesync.cli") == set()


def test_version_and_help_import_no_heavy_dependency() -> None:
    for args in (["--version"], ["--help"], ["plan", "--help"]):
        code = (
            "import sys\nfrom statesync.cli import cli\n"
            f"sys.argv = ['statesync', *{args!r}]\n"
            "try:\n    cli(prog_name='statesync')\nexcept SystemExit:\n    pass"
        )
        assert _imported_after(code) == set(), args


def test_a_command_that_needs_them_does_import_them() -> None:
    """The probe can see a heavy import: the two tests above are not vacuous."""
    assert "httpx" in _imported_after("import statesync.operations")


def test_the_emulators_lazy_entry_says_what_the_real_command_says() -> None:
    from statesync.cli_options import EMULATOR
    from statesync.emulator.cli import emulator_command

    assert EMULATOR.short_help == emulator_command.get_short_help_str(limit=200)


def test_a_networked_command_leaves_out_httpxs_command_line_client() -> None:
    """httpx would import rich and pygments for its own CLI (statesync.providers)."""
    probe = (
        "import statesync.operations, sys\n"
        "print(' '.join(m for m in ('httpx', 'rich', 'pygments') if m in sys.modules))"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["httpx"]
