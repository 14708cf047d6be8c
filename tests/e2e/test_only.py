"""--only: a shard plans and applies its own manifests and never touches the others."""

from __future__ import annotations

from tests.e2e.conftest import ACME, BETA

ACME_MANIFEST = 'page: "104510075301234"\nposts:\n  a:\n    message: Acme post.\n'
BETA_MANIFEST = 'page: "104510075305678"\nposts:\n  b:\n    message: Beta post.\n'


def test_only_selects_manifests_by_file_name_or_path(project, run, emulator) -> None:
    project.write("pages/acme.yaml", ACME_MANIFEST)
    project.write("pages/beta.yaml", BETA_MANIFEST)
    first = run("apply", "--auto-approve", "--only", "acme*.yaml", ".")
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[-1].startswith("Apply complete: 1 pushed")
    assert project.post_ids(BETA) == {}
    plan = run("plan", "--only", "pages/b*.yaml", ".")
    assert "beta/b: push" in plan.stdout
    assert "acme" not in plan.stdout


def test_a_shard_never_deletes_another_shards_posts(project, run, emulator) -> None:
    project.write("pages/acme.yaml", ACME_MANIFEST)
    project.write("pages/beta.yaml", BETA_MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    (project.root / "pages" / "beta.yaml").unlink()
    acme_shard = run("plan", "--only", "acme.yaml", ".")
    assert acme_shard.stdout == (
        "Scope: --only covers 1 manifest: acme.\nNo changes.\n"
    )
    beta_shard = run("apply", "--auto-approve", "--only", "beta.yaml", ".")
    assert beta_shard.exit_code == 0, beta_shard.output
    assert "beta/b: deleted" in beta_shard.stdout
    assert project.post_ids(BETA) == {}
    assert list(project.post_ids(ACME)) == ["a"]


def test_a_saved_shard_plan_applies_its_own_shard(project, run, emulator) -> None:
    project.write("pages/acme.yaml", ACME_MANIFEST)
    project.write("pages/beta.yaml", BETA_MANIFEST)
    assert run("plan", "--only", "beta.yaml", "--out", "beta.plan", ".").exit_code == 0
    result = run("apply", "beta.plan")
    assert result.exit_code == 0, result.output
    assert list(project.post_ids(BETA)) == ["b"]
    assert project.post_ids(ACME) == {}
