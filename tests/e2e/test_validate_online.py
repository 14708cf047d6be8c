"""`statesync validate --online`: the credentials checked against every page the
project names, as a plan checks them, with no post read and nothing written."""

from __future__ import annotations

import pytest

MANIFEST = """
    page: "104510075301234"
    posts:
      hours:
        message: Open from Monday.
"""


def requests(emulator) -> dict[str, int]:
    counts: dict[str, int] = {}
    for route in emulator.stats()["routes"]:
        key = f"{route['method']} {route['route']}"
        counts[key] = counts.get(key, 0) + route["count"]
    return counts


def test_valid_credentials_are_confirmed_reading_no_post(
    project, run, emulator
) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    result = run("validate", "--online", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Valid: 1 page, 1 post.",
        "Online: the credentials can read and write every target (1 target).",
    ]
    seen = requests(emulator)
    assert set(seen) == {"GET /me/accounts"}, seen  # one request, nothing else


def test_a_token_without_the_task_is_refused_naming_the_manifest(
    project, run, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACEBOOK_ACCESS_TOKEN", "test-analyst-token")
    project.write("pages/acme.yaml", MANIFEST)
    result = run("validate", "--online", ".")
    assert result.exit_code == 1
    assert "pages/acme.yaml: page 104510075301234 (acme)" in result.output
    assert "CREATE_CONTENT" in result.output
    assert "test-analyst-token" not in result.output
    assert all(not key.startswith(("POST", "DELETE")) for key in requests(emulator))


def test_offline_validation_stays_offline(project, run, emulator) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    assert run("validate", ".").exit_code == 0
    assert emulator.stats()["total"] == 0
