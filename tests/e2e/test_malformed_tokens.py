"""A malformed token is reported as malformed, at load time, never shown (issue 19).

Whitespace inside, a control character or a non-ASCII character in a credential is a
paste accident. It must stop the run before any request with the variable's name and
what is wrong, not end as a network failure, nor appear percent-encoded in a log.
"""

from __future__ import annotations

import logging

import pytest

from tests.e2e.conftest import ACME

MANIFEST = f"""
    page: "{ACME}"
    posts:
      hours:
        message: Open from Monday.
"""
BAD_VALUES = [  # made of distinctive parts, none of which may be shown
    ("t0k3n w1th sp4ce", "whitespace"),
    ("l1ne\nbr3ak", "whitespace"),
    ("b3ll\x07ch4r", "a control character"),
    ("c4f\u00e9-t0k3n", "a non-ASCII character"),
]


@pytest.fixture
def oneall_project(project, emulator):
    project.write(
        "statesync.yaml",
        """
        provider: oneall
        oneall:
          site: https://acme.api.oneall.com
        retries: {attempts: 2, max_total_s: 1}
        """,
    )
    project.write("pages/acme.yaml", MANIFEST)
    return project


@pytest.mark.parametrize(("value", "problem"), BAD_VALUES)
@pytest.mark.parametrize(
    "variable",
    [
        "FACEBOOK_ACCESS_TOKEN",
        "FACEBOOK_APP_SECRET",
        "ONEALL_PUBLIC_KEY",
        "ONEALL_PRIVATE_KEY",
        "ONEALL_IDENTITY_TOKEN",
    ],
)
def test_a_malformed_credential_stops_the_run_before_any_request(
    oneall_project, run, emulator, monkeypatch, caplog, variable, value, problem
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(variable, f"  {value}  ")

    result = run("-v", "apply", "--auto-approve", ".")

    assert result.exit_code == 1, result.output
    assert f"{variable} is malformed: its value holds {problem}" in result.stderr
    assert "the value is not shown" in result.stderr
    everything = "\n".join([result.stdout, result.stderr, caplog.text])
    for part in value.replace("\x07", " ").replace("\u00e9", " ").split():
        assert part not in everything
    assert emulator.stats()["total"] == 0


def test_surrounding_whitespace_is_still_forgiven(oneall_project, run, monkeypatch):
    monkeypatch.setenv(
        "FACEBOOK_ACCESS_TOKEN", "  test-user-token-canary-5f2a\n"
    )  # a trailing newline from `echo` or a secrets UI

    result = run("apply", "--auto-approve", ".")

    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("identity", ["0f6a1c52/../../x", "0f6a1c52?page=2", ".."])
def test_an_identity_token_that_would_change_the_url_is_refused(
    oneall_project, run, emulator, monkeypatch, identity
) -> None:
    """The identity token is a path segment of every OneAll URL: one holding ``/``,
    ``?`` or ``..`` would send the request to another resource."""
    monkeypatch.setenv("ONEALL_IDENTITY_TOKEN", identity)

    result = run("apply", "--auto-approve", ".")

    assert result.exit_code == 1, result.output
    assert "the OneAll identity token is malformed" in result.stderr
    assert identity == ".." or identity not in result.output
    assert emulator.stats()["total"] == 0
