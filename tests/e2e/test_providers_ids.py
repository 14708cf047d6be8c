"""An id from a hand-edited lockfile never reaches a URL path: both providers refuse
it before sending anything (a "../me" would make statesync call another endpoint)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.e2e.conftest import ACME, Project
from tests.e2e.test_oneall import configure

MANIFEST = 'page: "104510075301234"\nposts:\n  hello: {message: Hello.}\n'
EDITED = 'page: "104510075301234"\nposts:\n  hello: {message: Hello again.}\n'


@pytest.mark.parametrize("provider", ["graph", "oneall"])
@pytest.mark.parametrize(
    "bad_id", ["../me", f"{ACME}_1/comments", "1?fields=access_token"]
)
def test_a_tampered_post_id_is_refused_before_any_request(
    project: Project, run, emulator, provider: str, bad_id: str
) -> None:
    if provider == "oneall":
        configure(project, read="none")  # OneAll writes; nothing reads
    project.write("pages/acme.yaml", MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    lock = project.lock()
    lock["pages"][ACME]["posts"]["hello"]["id"] = bad_id
    (project.root / "statesync.lock").write_text(json.dumps(lock))
    project.write("pages/acme.yaml", EDITED)
    before = _counts(emulator)

    result = run("apply", "--auto-approve", ".")

    assert result.exit_code == 1
    assert f"{bad_id!r} is not a post id" in result.output
    assert "Traceback" not in result.output
    sent = _counts(emulator) - before
    assert all(method == "GET" for method, _ in sent)  # page tokens at most: no write
    assert not [route for _, route in sent if "post" in route.lower()]
    assert project.lock()["pages"][ACME]["posts"]["hello"]["id"] == bad_id  # untouched


def _counts(emulator) -> Counter[tuple[str, str]]:
    routes = emulator.stats()["routes"]
    return Counter({(r["method"], r["route"]): r["count"] for r in routes})
