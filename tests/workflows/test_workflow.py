"""What zizmor and the schema do not check in the workflows: their own rules of this repo."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.workflows.fakerunner import BASH, ROOT, SCRIPTS, run

REUSABLE = ROOT / ".github" / "workflows" / "statesync.yml"
EXAMPLES = sorted((ROOT / "examples" / "github").glob("*.yml"))
WORKFLOWS = [*sorted((ROOT / ".github" / "workflows").glob("*.yml")), *EXAMPLES]
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def load(path: Path) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def step_named(name: str) -> dict[str, Any]:
    (step,) = (s for s in steps(load(REUSABLE)) if s.get("name") == name)
    return step


def test_embedded_scripts_are_the_scripts() -> None:
    embedded = {}
    for step in steps(load(REUSABLE)):
        match = re.match(
            r"#!/usr/bin/env bash\n# (\.github/scripts/\S+\.sh)", step.get("run", "")
        )
        if match:
            embedded[match.group(1)] = step["run"]
    assert sorted(embedded) == sorted(
        f".github/scripts/{p.name}" for p in SCRIPTS.glob("*.sh")
    )
    for name, text in embedded.items():
        assert text == (ROOT / name).read_text(encoding="utf-8"), (
            f"run python3 .github/scripts/embed.py ({name})"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_actions_are_pinned_to_a_commit_with_its_version(path: Path) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*(?:- )?uses: (.+)$", line)
        if match and not match.group(1).startswith("./"):
            assert PINNED.match(match.group(1)), line


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_expression_in_a_script(path: Path) -> None:
    for step in steps(load(path)):
        assert "${{" not in step.get("run", ""), step


def test_secrets_reach_only_the_steps_that_run_statesync() -> None:
    workflow = load(REUSABLE)
    users = {
        step.get("name"): sorted(
            k for k, v in step.get("env", {}).items() if "${{ secrets." in str(v)
        )
        for step in steps(workflow)
        if "${{ secrets." in str(step)
    }
    statesync = sorted(workflow["on"]["workflow_call"]["secrets"])
    statesync.remove("STATESYNC_PUSH_TOKEN")
    assert users == {
        "Plan": statesync,
        "Apply": statesync,
        "Commit the lockfiles": ["STATESYNC_PUSH_TOKEN"],
    }
    assert all(
        not secret["required"]
        for secret in workflow["on"]["workflow_call"]["secrets"].values()
    )


def test_jobs_have_least_privilege_and_apply_is_serialized() -> None:
    workflow = load(REUSABLE)
    assert workflow["permissions"] == {}
    plan, apply = workflow["jobs"]["plan"], workflow["jobs"]["apply"]
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert apply["permissions"] == {"contents": "write"}
    assert apply["concurrency"]["cancel-in-progress"] is False
    commit = step_named("Commit the lockfiles")
    assert commit["if"].startswith("${{ always()")
    for step in steps(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_pin_the_workflow_and_the_package_alike(path: Path) -> None:
    (job,) = load(path)["jobs"].values()
    workflow_ref = job["uses"].split("@")[1]
    package_ref = job["with"]["statesync-spec"].split("@")[-1]
    assert job["uses"].startswith(
        "statesync/statesync/.github/workflows/statesync.yml@"
    )
    assert workflow_ref == package_ref
    assert job["secrets"] != "inherit"
    assert set(job["with"]) <= set(load(REUSABLE)["on"]["workflow_call"]["inputs"])
    assert set(job["secrets"]) <= set(load(REUSABLE)["on"]["workflow_call"]["secrets"])


@pytest.mark.parametrize(
    ("mode", "event", "status", "message"),
    [
        ("auto", "pull_request", 0, ""),
        ("plan", "schedule", 0, ""),
        ("apply", "pull_request", 1, "mode apply is refused on pull_request events"),
        ("aply", "push", 1, "must be plan, apply or auto, not 'aply'"),
        ("auto", "pull_request_target", 1, "not pull_request_target"),
    ],
)
def test_mode_check(
    tmp_path: Path, mode: str, event: str, status: int, message: str
) -> None:
    script = tmp_path / "check.sh"
    script.write_text(step_named("Check the mode")["run"], encoding="utf-8")

    result = run(
        [BASH, "-eo", "pipefail", str(script)],
        tmp_path,
        {"STATESYNC_MODE": mode, "EVENT_NAME": event},
    )

    assert result.returncode == status
    assert message in result.stdout
