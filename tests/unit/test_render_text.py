"""The terminal plan, compared whole."""

from __future__ import annotations

from dataclasses import replace

import pytest

from statesync.model import Address, PostFields
from statesync.plan import Action, ActionKind, Plan
from statesync.render.text import render_plan

PAGE = "104510075301234"


def test_every_kind_renders_in_full() -> None:
    long_old = "Line one\nLine two\nLine three"
    long_new = "Line one\nLine 2\nLine three"
    plan = Plan(
        actions=(
            Action(
                ActionKind.PUSH,
                Address("acme", "new"),
                PAGE,
                after=PostFields(message="Hello", link="https://acme.example/"),
            ),
            Action(
                ActionKind.UPDATE,
                Address("acme", "hours"),
                PAGE,
                post_id=f"{PAGE}_1",
                before=PostFields(message="Mon"),
                after=PostFields(message="Tue"),
                changed=("message",),
                drift=True,
            ),
            Action(
                ActionKind.UPDATE,
                Address("acme", "story"),
                PAGE,
                post_id=f"{PAGE}_4",
                before=PostFields(message=long_old),
                after=PostFields(message=long_new),
                changed=("message",),
            ),
            Action(
                ActionKind.REPLACE,
                Address("acme", "promo"),
                PAGE,
                post_id=f"{PAGE}_2",
                before=PostFields(message="m", link="https://a.example/"),
                after=PostFields(message="m", link="https://b.example/"),
                changed=("link",),
                forced_by="link",
            ),
            Action(
                ActionKind.PUSH,
                Address("acme", "gone"),
                PAGE,
                post_id=f"{PAGE}_5",
                after=PostFields(attachments=("11", "12")),
                note=f"post {PAGE}_5 no longer exists (deleted outside statesync)",
            ),
            Action(
                ActionKind.DELETE, Address("acme", "old"), PAGE, post_id=f"{PAGE}_3"
            ),
            Action(
                ActionKind.DELETE,
                Address("acme", "old-post"),
                PAGE,
                post_id=f"{PAGE}_6",
                before=PostFields(message="First line\nSecond line\nThird"),
            ),
        )
    )
    assert render_plan(plan) == (
        "Drift: 1 post changed outside statesync since the last apply; apply restores "
        "the manifests' content.\n"
        "\n"
        "  + acme/new: push\n"
        '      message: "Hello"\n'
        '      link:    "https://acme.example/"\n'
        "\n"
        f"  ~ acme/hours: update (post {PAGE}_1, drift: changed outside statesync)\n"
        '      message: "Mon" -> "Tue"\n'
        "\n"
        f"  ~ acme/story: update (post {PAGE}_4)\n"
        "      message:\n"
        "        --- live\n"
        "        +++ desired\n"
        "        @@ -1,3 +1,3 @@\n"
        "         Line one\n"
        "        -Line two\n"
        "        +Line 2\n"
        "         Line three\n"
        "\n"
        f"  -/+ acme/promo: replace (post {PAGE}_2)\n"
        '      link: "https://a.example/" -> "https://b.example/"  # forces replacement\n'
        "      ! the post is deleted and pushed again: its likes, comments and shares "
        "are lost\n"
        "\n"
        "  + acme/gone: push\n"
        f"      # post {PAGE}_5 no longer exists (deleted outside statesync)\n"
        '      attachments: ["11", "12"]\n'
        "\n"
        f"  - acme/old: delete (post {PAGE}_3)\n"
        "\n"
        f"  - acme/old-post: delete (post {PAGE}_6)\n"
        '      message: "First line" (+2 more lines)\n'
        "\n"
        "Plan: 2 to push, 2 to update, 1 to replace, 2 to delete.\n"
    )


def test_no_changes_is_one_line() -> None:
    assert render_plan(Plan(actions=())) == "No changes.\n"


def test_planning_without_a_reader_says_so_once() -> None:
    plan = Plan(
        actions=(
            Action(
                ActionKind.UPDATE,
                Address("acme", "a"),
                PAGE,
                post_id=f"{PAGE}_1",
                after=PostFields(message="new"),
                changed=("message",),
            ),
        ),
        reads_live=False,
    )
    assert render_plan(plan) == (
        "Note: live posts are not read, so drift (edits made outside statesync) cannot "
        "be seen; changes are found from the lockfile's recorded hashes.\n"
        "\n"
        f"  ~ acme/a: update (post {PAGE}_1)\n"
        '      message: (not read) -> "new"\n'
        "\n"
        "Plan: 0 to push, 1 to update, 0 to replace, 0 to delete.\n"
    )


def test_colour_is_terraforms_and_only_on_request() -> None:
    plan = Plan(
        actions=(
            Action(
                ActionKind.DELETE, Address("acme", "old"), PAGE, post_id=f"{PAGE}_3"
            ),
        )
    )
    assert render_plan(plan, color=True) == (
        f"\x1b[31m  - acme/old: delete (post {PAGE}_3)\x1b[0m\n"
        "\n"
        "\x1b[1mPlan: 0 to push, 0 to update, 0 to replace, 1 to delete.\x1b[0m\n"
    )
    assert "\x1b" not in render_plan(plan)


def _deleting(before: PostFields) -> Plan:
    return Plan(
        actions=(
            Action(
                ActionKind.DELETE,
                Address("acme", "old"),
                PAGE,
                post_id=f"{PAGE}_3",
                before=before,
            ),
        )
    )


@pytest.mark.parametrize(
    ("before", "shown"),
    [
        (PostFields(message="One line"), ['message: "One line"']),
        (PostFields(message="Two\nlines\n"), ['message: "Two" (+1 more line)']),
        (
            PostFields(message="\n  \nAfter blanks"),
            ['message: "After blanks" (+2 more lines)'],
        ),
        (
            PostFields(message="x" * 61 + "\ny"),
            [f'message: "{"x" * 60}"... (+1 more line)'],
        ),
        (PostFields(message="Ends in ..."), ['message: "Ends in ..."']),
        (PostFields(message='Say "hi"\tnow'), ['message: "Say \\"hi\\"\\tnow"']),
        (
            PostFields(message="Menu", link="https://acme.example/"),
            ['message: "Menu"', 'link:    "https://acme.example/"'],
        ),
        (PostFields(attachments=("11", "12")), ['attachments: ["11", "12"]']),
        (PostFields(), []),
    ],
    ids=[
        "one line",
        "more lines",
        "blank first lines",
        "long first line",
        "ellipsis of its own",
        "quotes and tabs",
        "with a link",
        "attachments only",
        "nothing set",
    ],
)
def test_a_delete_shows_the_post_it_deletes(
    before: PostFields, shown: list[str]
) -> None:
    assert render_plan(_deleting(before)) == (
        f"  - acme/old: delete (post {PAGE}_3)\n"
        + "".join(f"      {line}\n" for line in shown)
        + "\n"
        "Plan: 0 to push, 0 to update, 0 to replace, 1 to delete.\n"
    )


def test_a_plan_under_only_says_its_scope_above_the_summary() -> None:
    plan = Plan(actions=(), scope=("acme", "beta"))
    assert render_plan(plan) == (
        "Scope: --only covers 2 manifests: acme, beta.\nNo changes.\n"
    )
    assert render_plan(Plan(actions=(), scope=("acme",))) == (
        "Scope: --only covers 1 manifest: acme.\nNo changes.\n"
    )


def test_a_long_scope_stays_one_line() -> None:
    scope = tuple(f"client-{n:03}" for n in range(250))
    first, summary = render_plan(Plan(actions=(), scope=scope)).splitlines()
    assert first == (
        "Scope: --only covers 250 manifests: "
        + ", ".join(f"client-{n:03}" for n in range(10))
        + " and 240 more."
    )
    assert summary == "No changes."


def test_the_scope_line_comes_after_the_actions() -> None:
    plan = replace(_deleting(PostFields()), scope=("acme",))
    assert render_plan(plan).splitlines()[-3:] == [
        "",
        "Scope: --only covers 1 manifest: acme.",
        "Plan: 0 to push, 0 to update, 0 to replace, 1 to delete.",
    ]
