"""One lockfile per manifest: shards write only their own files."""

from __future__ import annotations

import json

from tests.e2e.conftest import ACME, BETA

CONFIG = """
    provider: graph
    lockfile: locks/{manifest}.lock
    retries: {attempts: 2, max_total_s: 1, max_wait_s: 0}
"""
ACME_MANIFEST = 'page: "104510075301234"\nposts:\n  a: {message: Acme post.}\n'
BETA_MANIFEST = 'page: "104510075305678"\nposts:\n  b: {message: Beta post.}\n'


def lock_of(project, stem: str) -> dict:
    return json.loads((project.root / "locks" / f"{stem}.lock").read_text())


def test_each_manifest_gets_its_own_lockfile(project, run, emulator) -> None:
    project.write("statesync.yaml", CONFIG)
    project.write("pages/acme.yaml", ACME_MANIFEST)
    project.write("pages/beta.yaml", BETA_MANIFEST)
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (project.root / "locks").glob("*.lock")) == [
        "acme.lock",
        "beta.lock",
    ]
    assert list(lock_of(project, "acme")["pages"]) == [ACME]
    assert list(lock_of(project, "beta")["pages"]) == [BETA]
    assert run("plan", ".").stdout == "No changes.\n"


def test_a_shard_touches_only_its_own_lockfile(project, run, emulator) -> None:
    project.write("statesync.yaml", CONFIG)
    project.write("pages/acme.yaml", ACME_MANIFEST)
    project.write("pages/beta.yaml", BETA_MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    acme_before = (project.root / "locks" / "acme.lock").read_bytes()
    project.write("pages/acme.yaml", ACME_MANIFEST.replace("Acme post.", "Edited."))
    project.write("pages/beta.yaml", BETA_MANIFEST.replace("Beta post.", "Edited."))
    beta_shard = run("apply", "--auto-approve", "--only", "beta.yaml", ".")
    assert beta_shard.exit_code == 0, beta_shard.output
    assert (project.root / "locks" / "acme.lock").read_bytes() == acme_before
    assert lock_of(project, "beta")["serial"] == 2
    acme_shard = run("apply", "--auto-approve", "--only", "acme.yaml", ".")
    assert acme_shard.exit_code == 0, acme_shard.output
    assert lock_of(project, "acme")["serial"] == 2
    assert run("plan", ".").stdout == "No changes.\n"


def test_a_saved_plan_sees_another_shards_apply(project, run, emulator) -> None:
    project.write("statesync.yaml", CONFIG)
    project.write("pages/acme.yaml", ACME_MANIFEST)
    project.write("pages/beta.yaml", BETA_MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    project.write("pages/acme.yaml", ACME_MANIFEST.replace("Acme post.", "Edited."))
    assert run("plan", "--only", "acme.yaml", "--out", "acme.plan", ".").exit_code == 0
    project.write("pages/beta.yaml", BETA_MANIFEST.replace("Beta post.", "Edited."))
    assert run("apply", "--auto-approve", "--only", "beta.yaml", ".").exit_code == 0
    stale = run("apply", "acme.plan")
    assert stale.exit_code == 1
    assert "the saved plan is stale" in stale.stderr
