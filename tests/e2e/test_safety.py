"""Safety rails over real HTTP: prevent_destroy, mass deletes, one apply at a time."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest
from filelock import FileLock

from tests.e2e.conftest import ACME, write_requests

PROTECTED = """
    page: "104510075301234"
    posts:
      spring-menu:
        message: Our spring menu is here!
        link: https://acme.example/spring
        prevent_destroy: true
      hours:
        message: Open from Monday.
"""
SPRING_2 = PROTECTED.replace("acme.example/spring", "acme.example/spring-2")


def many_posts(count: int, *, keep: int | None = None, relink: int = 0) -> str:
    """A manifest of ``count`` posts, or only the first ``keep`` of them, the first
    ``relink`` of them with a new link (a replace on Graph)."""
    lines = ['page: "104510075301234"', "posts:"]
    for n in range(count if keep is None else keep):
        link = f"https://acme.example/{n}" + ("-2" if n < relink else "")
        lines += [f"  post-{n:02}:", f"    message: Post {n}.", f"    link: {link}"]
    return "\n".join(lines) + "\n"


# -- prevent_destroy ---------------------------------------------------------------


def test_prevent_destroy_blocks_a_link_change_on_graph(project, run, emulator) -> None:
    project.write("pages/acme.yaml", PROTECTED)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    before = project.post_ids()
    project.write("pages/acme.yaml", SPRING_2)
    writes_before = write_requests(emulator)
    refusal = [
        "pages/acme.yaml:6: acme/spring-menu has prevent_destroy: true, but the plan "
        "would replace it (link changed; the Graph API cannot edit a link in place). "
        "Remove prevent_destroy, or undo the change.",
        "Error: the plan breaks 1 safety rail; nothing was sent.",
    ]

    # The whole plan first, so that the refusal can be read against it.
    plan = run("plan", ".", "--out", "plan.json")
    assert plan.exit_code == 1
    assert "-/+ acme/spring-menu" in plan.stdout
    assert plan.stdout.endswith(
        "Plan: 0 to push, 0 to update, 1 to replace, 0 to delete.\n"
    )
    assert plan.stderr.splitlines() == refusal
    assert not (project.root / "plan.json").exists()

    apply = run("apply", "--auto-approve", ".")
    assert apply.exit_code == 1
    assert "-/+ acme/spring-menu" in apply.stdout
    assert apply.stderr.splitlines() == refusal
    assert write_requests(emulator) == writes_before
    assert project.post_ids() == before

    # Dropping the flag lets the replace through, as the message says.
    project.write("pages/acme.yaml", SPRING_2.replace("prevent_destroy: true", ""))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert project.post_ids()["spring-menu"] != before["spring-menu"]


def test_a_saved_plan_is_checked_against_the_flag_at_apply_time(
    project, run, emulator
) -> None:
    """The flag is read when apply runs: protecting a post after the plan was saved
    still stops the replace."""
    project.write("pages/acme.yaml", PROTECTED.replace("prevent_destroy: true", ""))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    project.write("pages/acme.yaml", SPRING_2.replace("prevent_destroy: true", ""))
    assert run("plan", ".", "--out", "plan.json").exit_code == 0
    project.write("pages/acme.yaml", SPRING_2)  # same content, now protected
    result = run("apply", "plan.json")
    assert result.exit_code == 1
    assert "acme/spring-menu has prevent_destroy: true" in result.stderr


def test_prevent_destroy_allows_the_same_change_on_oneall(
    project, run, emulator
) -> None:
    """OneAll edits a link in place: an update keeps the post, so nothing is destroyed."""
    project.write(
        "statesync.yaml",
        """
        provider: oneall
        oneall:
          site: https://acme.api.oneall.com
        """,
    )
    project.write("pages/acme.yaml", PROTECTED)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    before = project.post_ids()
    project.write("pages/acme.yaml", SPRING_2)
    plan = run("plan", ".")
    assert plan.exit_code == 0, plan.output
    assert "  ~ acme/spring-menu: update" in plan.stdout
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert project.post_ids() == before


def test_removing_a_protected_post_deletes_it(project, run, emulator) -> None:
    """Terraform's rule: the flag lives in the manifest, and goes with the post."""
    project.write("pages/acme.yaml", PROTECTED)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    project.write(
        "pages/acme.yaml",
        'page: "104510075301234"\nposts:\n  hours:\n    message: Open from Monday.\n',
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "acme/spring-menu: deleted" in result.stdout


def test_an_invalid_flag_is_a_file_line_error_sending_nothing(
    project, run, emulator
) -> None:
    project.write(
        "pages/acme.yaml",
        PROTECTED.replace("prevent_destroy: true", 'prevent_destroy: "yes"'),
    )
    before = emulator.stats()["total"]
    for command in (["validate", "."], ["plan", "."], ["apply", "--auto-approve", "."]):
        result = run(*command)
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            "pages/acme.yaml:6: prevent_destroy must be true or false, got 'yes'",
            "Error: 1 problem found; nothing was sent.",
        ]
    assert emulator.stats()["total"] == before


# -- mass deletes ------------------------------------------------------------------


@pytest.fixture
def ten_posts(project, run, emulator):
    project.write("pages/acme.yaml", many_posts(10))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    return project


MASS = (
    f"acme (page {ACME}): the plan would delete or replace 4 of its 10 managed posts "
    "(40%), over the limit of 30% (safety.max_destroy_share in statesync.yaml)"
)


def test_a_mass_delete_is_a_warning_in_plan_and_refused_by_apply(
    ten_posts, run, emulator
) -> None:
    ten_posts.write("pages/acme.yaml", many_posts(10, keep=6))
    plan = run("plan", ".", "--detailed-exitcode")
    assert plan.exit_code == 2
    assert plan.stdout.endswith(
        "Plan: 0 to push, 0 to update, 0 to replace, 4 to delete.\n"
    )
    assert plan.stderr == (
        f"Warning: {MASS}; apply refuses it without --allow-mass-delete.\n"
    )

    writes_before = write_requests(emulator)
    refused = run("apply", "--auto-approve", ".")
    assert refused.exit_code == 1
    assert refused.stdout == plan.stdout  # the whole plan first, then the refusal
    assert refused.stderr.splitlines() == [
        f"{MASS}. Review it with `statesync plan`; if it is intended, run apply "
        "again with --allow-mass-delete.",
        "Error: the plan breaks 1 safety rail; nothing was sent.",
    ]
    assert write_requests(emulator) == writes_before
    assert len(ten_posts.post_ids()) == 10

    allowed = run("apply", "--auto-approve", "--allow-mass-delete", ".")
    assert allowed.exit_code == 0, allowed.output
    assert allowed.stdout.splitlines()[-1] == (
        "Apply complete: 0 pushed, 0 updated, 0 replaced, 4 deleted."
    )
    assert len(ten_posts.post_ids()) == 6


def test_three_of_ten_is_within_the_limit(ten_posts, run) -> None:
    ten_posts.write("pages/acme.yaml", many_posts(10, keep=7))
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_a_saved_mass_replace_needs_the_flag_too(ten_posts, run) -> None:
    """Replaces count as destroys: each loses the post's likes and comments."""
    before = ten_posts.post_ids()
    ten_posts.write("pages/acme.yaml", many_posts(10, relink=4))
    plan = run("plan", ".", "--out", "plan.json")
    assert plan.exit_code == 0
    assert plan.stdout.endswith("0 to update, 4 to replace, 0 to delete.\n")
    assert plan.stderr.startswith(f"Warning: {MASS}; ")
    refused = run("apply", "plan.json")
    assert refused.exit_code == 1
    assert "run apply again with --allow-mass-delete" in refused.stderr
    assert ten_posts.post_ids() == before
    allowed = run("apply", "plan.json", "--allow-mass-delete")
    assert allowed.exit_code == 0, allowed.output
    after = ten_posts.post_ids()
    assert sum(after[key] != before[key] for key in before) == 4


def test_the_threshold_comes_from_statesync_yaml(ten_posts, run) -> None:
    ten_posts.write(
        "statesync.yaml",
        """
        provider: graph
        safety:
          max_destroy_share: 0.5
        """,
    )
    ten_posts.write("pages/acme.yaml", many_posts(10, keep=5))
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert len(ten_posts.post_ids()) == 5


# -- one apply at a time -----------------------------------------------------------


def test_a_second_apply_is_refused_at_once(project, run, emulator) -> None:
    project.write("pages/acme.yaml", PROTECTED)
    before = emulator.stats()["total"]
    with FileLock(str(project.root / "statesync.lock.lock")):  # the first apply
        result = run("apply", "--auto-approve", ".")
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.startswith(
            "Error: another apply or plan is running on this project: statesync.lock.lock is "
            "locked. Nothing was sent;"
        )
        assert "delete statesync.lock.lock and run again" in result.stderr
        assert emulator.stats()["total"] == before  # refused before any request
        assert run("plan", ".").exit_code == 0  # plans never wait for an apply
    assert run("apply", "--auto-approve", ".").exit_code == 0


def test_two_real_applies_one_refused(project, run, emulator) -> None:
    """Process A holds the lock while it asks for confirmation on its terminal; B, run
    meanwhile, refuses at once; A then applies. No sleeps: A's prompt is the signal."""
    project.write("pages/acme.yaml", PROTECTED)
    main, child = pty.openpty()
    first = subprocess.Popen(
        [sys.executable, "-m", "statesync", "apply", "."],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=project.root,
        env={**os.environ, "NO_COLOR": "1"},
    )
    os.close(child)
    try:
        _read_until(main, b"Apply these changes?")
        second = run("apply", "--auto-approve", ".")
        assert second.exit_code == 1
        assert "another apply or plan is running on this project" in second.stderr
        os.write(main, b"y\n")
        assert _read_until(main, b"Apply complete:").endswith(b"Apply complete:")
        assert first.wait(timeout=60) == 0
    finally:
        first.kill()
        first.wait()
        os.close(main)
    assert sorted(project.post_ids()) == ["hours", "spring-menu"]


def _read_until(fd: int, marker: bytes) -> bytes:
    """Read a terminal until ``marker``; a generous guard, not a timing assertion."""
    seen = b""
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], 60)
        assert ready, f"no {marker!r} within 60 s; got {seen!r}"
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side closed
            chunk = b""
        assert chunk, f"the process ended before {marker!r}; got {seen!r}"
        seen += chunk
    return seen[: seen.index(marker) + len(marker)]
