"""The shell steps of .github/workflows/statesync.yml, run as a runner would run them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.workflows.fakerunner import Runner

# Not token-shaped, so the scan for committed Graph tokens stays quiet.
CANARY = "canary-push-token-5f2a9c0d"
BOT = "github-actions[bot]"


# --- commit-lockfiles.sh ---------------------------------------------------------------


def test_changed_lockfile_is_committed_and_pushed_once(runner: Runner) -> None:
    before = runner.remote_head()
    (runner.workspace / "statesync.lock").write_text(
        '{"serial": 2}\n', encoding="utf-8"
    )
    # What apply leaves besides the lockfile is not committed.
    (runner.workspace / ".statesync").mkdir()
    (runner.workspace / ".statesync" / "sandbox.db").write_text("x", encoding="utf-8")
    (runner.workspace / "pages" / "acme-coffee.yaml").write_text(
        "edited\n", encoding="utf-8"
    )

    result = runner.script("commit-lockfiles.sh")

    assert result.returncode == 0, result.stderr
    log = runner.remote_log()
    assert log == [
        f"{BOT}|statesync: record applied posts in statesync.lock",
        "Alice|initial",
    ]
    changed = runner.git("diff", "--name-only", before, "main", cwd=runner.remote)
    assert changed == "statesync.lock"
    assert runner.outputs() == {"committed": "true", "commit": runner.remote_head()}
    assert f"`{runner.remote_head()}` pushed to `main`" in runner.summary
    message = runner.git("log", "-1", "--format=%B%n%ae", "main", cwd=runner.remote)
    assert "Applied by https://github.com/acme/posts/actions/runs/4242" in message
    assert "41898282+github-actions[bot]@users.noreply.github.com" in message
    assert "failed part way" not in message


def test_unchanged_lockfile_makes_no_commit(runner: Runner) -> None:
    before = runner.remote_head()
    (runner.workspace / "pages" / "acme-coffee.yaml").write_text(
        "edited\n", encoding="utf-8"
    )

    result = runner.script("commit-lockfiles.sh")

    assert result.returncode == 0, result.stderr
    assert runner.remote_head() == before
    assert runner.outputs() == {"committed": "false"}
    assert runner.git("log", "--format=%s") == "initial"
    assert "nothing committed" in runner.summary


def test_concurrent_push_is_rebased_onto(runner: Runner) -> None:
    """Another shard pushed its own lockfile after our checkout: rebase, push, keep both."""
    (runner.workspace / "locks" / "acme-coffee.lock").write_text(
        '{"serial": 2}\n', encoding="utf-8"
    )
    theirs = runner.push_from_elsewhere(
        {"locks/beta-books.lock": '{"serial": 2}\n'}, "beta shard"
    )

    result = runner.script(
        "commit-lockfiles.sh", STATESYNC_LOCKFILES="locks/acme-*.lock"
    )

    assert result.returncode == 0, result.stderr
    assert "moved; rebasing" in result.stdout
    assert runner.remote_log() == [
        f"{BOT}|statesync: record applied posts in locks/acme-coffee.lock",
        "Alice|beta shard",
        "Alice|initial",
    ]
    assert runner.git("rev-parse", "main~1", cwd=runner.remote) == theirs
    assert runner.outputs()["commit"] == runner.remote_head()
    for name in ("acme-coffee", "beta-books"):
        assert (
            runner.git("show", f"main:locks/{name}.lock", cwd=runner.remote)
            == '{"serial": 2}'
        )


def test_conflicting_push_fails_and_says_why(runner: Runner) -> None:
    """Two writers of one lockfile cannot both win: fail, and leave the branch as it is."""
    (runner.workspace / "statesync.lock").write_text(
        '{"serial": 2, "ours": 1}\n', encoding="utf-8"
    )
    theirs = runner.push_from_elsewhere(
        {"statesync.lock": '{"serial": 2, "theirs": 1}\n'}, "other apply"
    )

    result = runner.script("commit-lockfiles.sh")

    assert result.returncode == 1
    assert "conflicted in: statesync.lock" in result.stdout
    assert "need separate lockfiles" in result.stdout
    assert result.stdout.count("::error ") == 1
    assert runner.remote_head() == theirs


def test_a_push_refused_every_time_gives_up(runner: Runner) -> None:
    hook = runner.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'refused by the test'\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    before = runner.remote_head()
    (runner.workspace / "statesync.lock").write_text(
        '{"serial": 2}\n', encoding="utf-8"
    )

    result = runner.script("commit-lockfiles.sh", STATESYNC_PUSH_ATTEMPTS="3")

    assert result.returncode == 1
    assert "gave up after 3 attempts to push to main" in result.stdout
    assert result.stderr.count("refused by the test") == 3
    assert runner.remote_head() == before


def test_globs_take_new_and_deleted_lockfiles_and_nothing_else(runner: Runner) -> None:
    """Per-manifest lockfiles: a new page's lockfile appears, a removed page's goes."""
    locks = runner.workspace / "locks"
    (locks / "beta-books.lock").unlink()
    (locks / "new-page.lock").write_text('{"serial": 1}\n', encoding="utf-8")
    (runner.workspace / "statesync.lock").write_text(
        '{"serial": 9}\n', encoding="utf-8"
    )

    result = runner.script(
        "commit-lockfiles.sh", STATESYNC_LOCKFILES="locks/*.lock\nnot-there/*.lock"
    )

    assert result.returncode == 0, result.stderr
    files = runner.git(
        "show", "--no-renames", "--name-status", "--format=", "main", cwd=runner.remote
    )
    assert files.splitlines() == ["D\tlocks/beta-books.lock", "A\tlocks/new-page.lock"]
    assert runner.git("status", "--porcelain") == "M statesync.lock"


def test_project_in_a_subdirectory(runner: Runner) -> None:
    project = runner.workspace / "site"
    project.mkdir()
    (project / "statesync.lock").write_text('{"serial": 1}\n', encoding="utf-8")

    result = runner.script("commit-lockfiles.sh", STATESYNC_DIR="./site/")

    assert result.returncode == 0, result.stderr
    assert (
        runner.remote_log()[0]
        == f"{BOT}|statesync: record applied posts in site/statesync.lock"
    )


def test_failed_apply_still_commits_and_says_so(runner: Runner) -> None:
    (runner.workspace / "statesync.lock").write_text(
        '{"serial": 2}\n', encoding="utf-8"
    )

    result = runner.script("commit-lockfiles.sh", STATESYNC_APPLY_OUTCOME="failure")

    assert result.returncode == 0, result.stderr
    message = runner.git("log", "-1", "--format=%B", "main", cwd=runner.remote)
    assert "failed part way" in message


def test_push_token_reaches_no_output_and_no_file(runner: Runner) -> None:
    (runner.workspace / "statesync.lock").write_text(
        '{"serial": 2}\n', encoding="utf-8"
    )
    runner.push_from_elsewhere({"locks/beta-books.lock": "{}\n"}, "moved")

    result = runner.script("commit-lockfiles.sh", STATESYNC_PUSH_TOKEN=CANARY)

    assert result.returncode == 0, result.stderr
    assert CANARY not in result.stdout + result.stderr + runner.summary
    for path in (runner.workspace / ".git").rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


def test_refuses_to_run_off_a_branch(runner: Runner) -> None:
    (runner.workspace / "statesync.lock").write_text(
        '{"serial": 2}\n', encoding="utf-8"
    )

    result = runner.script(
        "commit-lockfiles.sh", GITHUB_REF_TYPE="tag", GITHUB_REF="refs/tags/v1"
    )

    assert result.returncode == 1
    assert "not on a branch (ref refs/tags/v1)" in result.stdout


# --- plan.sh -----------------------------------------------------------------------------

PLAN = """### Plan: 1 to push, 1 to update

| page | post | action | fields |
| --- | --- | --- | --- |
| acme-coffee | summer-menu | push | message |

<details><summary>acme-coffee/opening-hours</summary>

```diff
- From Monday, 7am to 7pm.
+ From Monday, 8am to 6pm.
```

</details>
"""


def comment_of(runner: Runner) -> str:
    return Path(runner.outputs()["comment-path"]).read_text(encoding="utf-8")


def test_plan_with_changes_is_commented_and_summarized(runner: Runner) -> None:
    runner.stub(PLAN, rc=2)

    result = runner.script(
        "plan.sh", FACEBOOK_ACCESS_TOKEN=CANARY, FACEBOOK_APP_SECRET=""
    )

    assert result.returncode == 0, result.stderr
    out = runner.outputs()
    assert out["outcome"] == "changes"
    assert out["has-changes"] == "true"
    assert out["header"] == "statesync"
    assert out["artifact-name"] == "statesync-plan"
    comment = comment_of(runner)
    assert comment.startswith(
        "#### statesync plan\n\n### Plan: 1 to push, 1 to update\n"
    )
    assert PLAN in comment
    assert "Planned for `5ca1ab1e0000` into `main`" in comment
    assert "(https://github.com/acme/posts/actions/runs/4242)" in comment
    assert runner.summary == comment
    calls = runner.statesync_calls().splitlines()
    assert re.fullmatch(
        r"plan \. --format markdown --detailed-exitcode --out \S+/statesync\.plan",
        calls[0],
    )
    # The token reaches statesync; an empty optional secret is unset, not set to "".
    assert calls[1:] == [
        f"FACEBOOK_ACCESS_TOKEN={CANARY}",
        "FACEBOOK_APP_SECRET=<unset>",
    ]
    saved = Path(out["plan-dir"]) / "statesync.plan"
    assert saved.read_text(encoding="utf-8") == '{"saved": "plan"}\n'
    assert (Path(out["plan-dir"]) / "plan.md").read_text(encoding="utf-8") == PLAN
    # The plan is not printed to the log, where `::` lines would be workflow commands.
    assert "summer-menu" not in result.stdout


def test_plan_never_leaks_the_token(runner: Runner) -> None:
    runner.stub("", rc=1)

    result = runner.script("plan.sh", FACEBOOK_ACCESS_TOKEN=CANARY)

    assert result.returncode == 1
    outputs = runner.output_file.read_text(encoding="utf-8")
    assert CANARY not in comment_of(runner) + runner.summary + outputs + result.stdout


def test_no_changes(runner: Runner) -> None:
    runner.stub("No changes.\n", rc=0)

    result = runner.script("plan.sh")

    assert result.returncode == 0, result.stderr
    assert runner.outputs()["outcome"] == "no-changes"
    assert runner.outputs()["has-changes"] == "false"
    assert "No changes." in comment_of(runner)


def test_failed_plan_replaces_the_old_plan_and_fails(runner: Runner) -> None:
    runner.stub("### Plan: half written", rc=1)

    result = runner.script("plan.sh")

    assert result.returncode == 1
    assert runner.outputs()["outcome"] == "failed"
    comment = comment_of(runner)
    assert "**statesync plan failed** (exit status 1)" in comment
    assert "half written" not in comment


def test_invalid_manifests_skip_the_plan(runner: Runner) -> None:
    runner.stub(PLAN, rc=2)

    result = runner.script("plan.sh", STATESYNC_VALIDATE_OUTCOME="failure")

    assert result.returncode == 1
    assert runner.outputs()["outcome"] == "invalid"
    assert "**The manifests have errors.**" in comment_of(runner)
    assert runner.statesync_calls() == ""


def test_shards_get_their_own_comment_and_artifact(runner: Runner) -> None:
    runner.stub(PLAN, rc=2)

    result = runner.script(
        "plan.sh", STATESYNC_DIR="./site/", STATESYNC_ONLY="pages/[a-h]*.yaml"
    )

    assert result.returncode == 0, result.stderr
    out = runner.outputs()
    assert out["header"] == "statesync-site-pages-a-h-.yaml"
    assert out["artifact-name"] == "statesync-plan-site-pages-a-h-.yaml"
    assert "[" not in out["comment-path"]  # the comment action reads it as a glob
    assert (
        runner.statesync_calls().splitlines()[0].endswith(" --only pages/[a-h]*.yaml")
    )
    assert runner.statesync_calls().startswith("plan site --format markdown")
    assert comment_of(runner).startswith(
        "#### statesync plan · `site` · shard `pages/[a-h]*.yaml`\n"
    )


def test_given_header_wins(runner: Runner) -> None:
    runner.stub(PLAN, rc=2)

    runner.script("plan.sh", STATESYNC_HEADER="posts-prod")

    assert runner.outputs()["header"] == "posts-prod"


def long_plan() -> str:
    rows = "".join(
        f"| acme-coffee | post-{i:05} | update | message |\n" for i in range(50)
    )
    diff = "".join(f"- old line {i}\n+ new line {i}\n" for i in range(2000))
    return (
        "### Plan: 50 to update\n\n| page | post | action | fields |\n| --- | --- | --- | --- |\n"
        f"{rows}\n<details><summary>acme-coffee/long</summary>\n\n````diff\n```\n{diff}````\n\n</details>\n"
    )


def test_a_long_plan_is_cut_without_breaking_the_markdown(runner: Runner) -> None:
    plan = long_plan()
    assert len(plan.encode()) > 60_000
    runner.stub(plan, rc=2)

    result = runner.script("plan.sh", STATESYNC_COMMENT_LIMIT="20000")

    assert result.returncode == 0, result.stderr
    comment = comment_of(runner)
    assert len(comment.encode()) <= 20_000
    head, note = comment.split("\n\n> **Plan truncated:** ")
    shown, closing = head.rsplit("\n", 2)[0] + "\n", head.rsplit("\n", 2)[1:]
    # Cut in the ```` fence (its ``` line does not close it) and in <details>: both closed.
    assert closing == ["````", "</details>"]
    assert shown.startswith("#### statesync plan\n\n")
    plan_shown = shown.removeprefix("#### statesync plan\n\n")
    assert plan.startswith(plan_shown)
    assert plan_shown.endswith("\n+ new line " + plan_shown.rsplit("+ new line ", 1)[1])
    omitted = len(plan.encode()) - len(plan_shown.encode())
    assert note.startswith(f"{omitted} more bytes are not shown here.")
    assert (
        "The full plan is in the job summary and the plan artifact of [this workflow run]"
        in note
    )
    # The summary has room for all of it.
    assert plan in runner.summary


@pytest.mark.parametrize(
    ("cut_after", "closing"),
    [
        ("| acme-coffee | post-00100 | update | message |\n", ""),  # in the table
        ("~~~text\nline\n", "~~~\n"),  # in a ~~~ fence
        ("   ```\nindented fence\n", "```\n"),  # up to 3 spaces before a fence
    ],
)
def test_cut_closes_what_is_open(runner: Runner, cut_after: str, closing: str) -> None:
    plan = "### Plan\n\n" + cut_after + "x" * 5000 + "\n"
    runner.stub(plan, rc=2)
    title_and_footer = 1100  # bytes the script spends around the plan, and its margin
    limit = title_and_footer + len(("### Plan\n\n" + cut_after).encode()) + 10

    result = runner.script("plan.sh", STATESYNC_COMMENT_LIMIT=str(limit))

    assert result.returncode == 0, result.stderr
    comment = comment_of(runner)
    assert (
        "### Plan\n\n" + cut_after + closing + "\n> **Plan truncated:** 5001 more bytes"
        in comment
    )


# --- apply.sh ----------------------------------------------------------------------------

APPLY_OUTPUT = """+ acme-coffee/summer-menu: pushed (post 104510075301234_100005)
::error::a post message that looks like a workflow command
```
Apply complete: 1 pushed, 0 updated, 0 replaced, 0 deleted.
"""


def test_apply_output_cannot_issue_workflow_commands(runner: Runner) -> None:
    runner.stub(APPLY_OUTPUT, rc=0)

    result = runner.script(
        "apply.sh", FACEBOOK_ACCESS_TOKEN=CANARY, STATESYNC_ONLY="pages/a*.yaml"
    )

    assert result.returncode == 0, result.stderr
    stop = re.search(r"^::stop-commands::([0-9a-f]{32})$", result.stdout, re.MULTILINE)
    assert stop
    token = stop.group(1)
    before, during, after = re.split(
        rf"^::stop-commands::{token}$|^::{token}::$", result.stdout, flags=re.MULTILINE
    )
    assert "::error::a post message" in during
    assert "::error" not in before + after
    assert runner.outputs() == {"outcome": "succeeded"}
    assert (
        runner.statesync_calls().splitlines()[0]
        == "apply . --auto-approve --only pages/a*.yaml"
    )
    # The output's own ``` cannot close the summary's fence; stderr stays in the log.
    assert "succeeded\n\n````\n+ acme-coffee/summer-menu" in runner.summary
    assert CANARY not in runner.summary
    assert runner.summary.endswith("0 deleted.\n\n````\n")


def test_failed_apply_fails_the_step_with_an_annotation(runner: Runner) -> None:
    runner.stub("Error: acme-coffee/summer-menu: code 368, blocked by policy\n", rc=1)

    result = runner.script("apply.sh")

    assert result.returncode == 1
    assert runner.outputs() == {"outcome": "failed"}
    last = result.stdout.splitlines()[-1]
    assert last.startswith(
        "::error title=statesync apply failed::statesync apply exited with status 1"
    )
    assert "failed (exit status 1)" in runner.summary
    assert "code 368" in runner.summary
