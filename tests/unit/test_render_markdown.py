"""The markdown plan (PR comment, job summary), compared whole to snapshots.

Snapshots are files under ``tests/unit/snapshots/<test module>/``, the exact bytes of the
rendering (``.md`` opens as markdown in any viewer). After a deliberate change of
output, regenerate them and review the diff before committing::

    pytest tests/unit/test_render_markdown.py tests/unit/test_render_json.py \
        -p no:cacheprovider --snapshot-update

``sample_plan`` and ``plans`` are shared with test_render_json.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension
from syrupy.location import PyTestLocation

from statesync.kinds import Kind
from statesync.media import MediaFile
from statesync.model import POST_FIELDS, Address, PostFields
from statesync.plan import Action, ActionKind, Plan
from statesync.render.markdown import render_markdown

PAGE = "104510075301234"
HOSTILE = (
    "Deal of the day!\n"
    "```\n"
    " ```` still a fence?\n"
    "</details>\n"
    "<script>alert(1)</script>\n"
    "<img src=x onerror=alert(1)>\n"
    "| a | b |\n"
    "cc @octocat and @acme/team, see #1, acme/site#2 and GH-3\n"
    "~~~\n"
)
LONG_OLD = "\n".join(f"Line {n}" for n in range(1, 31))
LONG_NEW = LONG_OLD.replace("Line 3\n", "Line three\n").replace("Line 27", "Line 27!")
# The live post a delete removes: its first line is hostile too.
DELETED = "```</details> @octocat #1 <b>Winter</b> menu\nSoup of the day\n"


class MarkdownSnapshot(SingleFileSnapshotExtension):
    """The rendering's bytes in ``snapshots/<test module>/<test>.md``."""

    file_extension = "md"

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        here = Path(test_location.filepath).parent
        return str(here / "snapshots" / test_location.basename)


@pytest.fixture
def snapshot_md(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(MarkdownSnapshot)


def sample_plan() -> Plan:
    """Every kind, drift, notes, multi-line, long and hostile messages and names, a
    delete that shows what it deletes and one that was not read, a scope."""
    return Plan(
        actions=(
            Action(
                ActionKind.PUSH,
                Address("acme", "new"),
                PAGE,
                after=PostFields(
                    message="Hello\nCafé ☕", link="https://acme.example/"
                ),
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
                before=PostFields(message=LONG_OLD, attachments=("1",)),
                after=PostFields(message=LONG_NEW, attachments=("1", "2")),
                changed=("attachments", "message"),
            ),
            Action(
                ActionKind.UPDATE,
                Address("acme", "spacing"),
                PAGE,
                post_id=f"{PAGE}_7",
                before=PostFields(message="Same\r\nlines"),
                after=PostFields(message="Same\nlines"),
                changed=("message",),
            ),
            Action(
                ActionKind.UPDATE,
                Address("evil", "x|y @admin #1 <b>`*_~$"),
                PAGE,
                post_id=f"{PAGE}_6",
                before=PostFields(message="Nothing to see"),
                after=PostFields(message=HOSTILE),
                changed=("message",),
                note="</details><script>alert(1)</script> | @admin #2\n| --- |",
            ),
            Action(
                ActionKind.REPLACE,
                Address("acme", "promo"),
                PAGE,
                post_id=f"{PAGE}_2",
                before=PostFields(message="Sale\nnow", link="https://a.example/"),
                after=PostFields(message="Sale\nsoon", link="https://b.example/"),
                changed=("link", "message"),
                forced_by="link",
                drift=True,
            ),
            Action(
                ActionKind.PUSH,
                Address("evil", "push"),
                PAGE,
                after=PostFields(message=HOSTILE),
            ),
            Action(
                ActionKind.PUSH,
                Address("acme", "long"),
                PAGE,
                after=PostFields(message=LONG_NEW),
            ),
            Action(
                ActionKind.DELETE,
                Address("acme", "old"),
                PAGE,
                post_id=f"{PAGE}_3",
                before=PostFields(message=DELETED, link="https://acme.example/old"),
            ),
            Action(
                ActionKind.DELETE,
                Address("acme", "older"),
                PAGE,
                post_id=f"{PAGE}_8",
                note="recorded in the lockfile, no longer in any manifest",
            ),
        ),
        scope=("acme", "evil"),
    )


def no_reader_plan() -> Plan:
    """Planned from recorded hashes: nothing before, no drift."""
    return Plan(
        actions=(
            Action(
                ActionKind.UPDATE,
                Address("acme", "a"),
                PAGE,
                post_id=f"{PAGE}_1",
                after=PostFields(message="new\ntext", attachments=("9",)),
                changed=("attachments", "message"),
            ),
            Action(
                ActionKind.REPLACE,
                Address("acme", "b"),
                PAGE,
                post_id=f"{PAGE}_2",
                after=PostFields(message="m", link="https://b.example/"),
                changed=("link",),
                forced_by="link",
            ),
            Action(
                ActionKind.PUSH,
                Address("acme", "c"),
                PAGE,
                after=PostFields(message="@everyone look"),
            ),
            Action(ActionKind.DELETE, Address("acme", "d"), PAGE, post_id=f"{PAGE}_4"),
        ),
        reads_live=False,
    )


_fields = st.builds(
    PostFields,
    message=st.none() | st.text(),
    link=st.none() | st.text(),
    attachments=st.lists(st.text(max_size=8), max_size=3).map(tuple),
)


_media = st.builds(
    MediaFile,
    path=st.just(""),  # a plan names a file by its path from the project only
    shown=st.text(min_size=1),
    sha256=st.text("0123456789abcdef", min_size=64, max_size=64),
    mime=st.sampled_from(["image/jpeg", "image/png", "video/mp4"]),
    size=st.integers(min_value=0, max_value=2**31),
    alt=st.none() | st.text(),
)


_no_slash = st.text(min_size=1).filter(lambda text: "/" not in text)


@st.composite
def _actions(draw: st.DrawFn) -> Action:
    kind = draw(st.sampled_from(ActionKind))
    changed = draw(st.lists(st.sampled_from(POST_FIELDS), unique=True).map(sorted))
    if kind is ActionKind.PUSH:
        changed = []  # as the planner makes a push: JSON derives it from ``after``
    removes = kind in (ActionKind.DELETE, ActionKind.FORGET)
    if kind is ActionKind.UPLOAD or (removes and draw(st.booleans())):
        return Action(
            kind=kind,
            address=Address(draw(st.text(min_size=1)), draw(st.text(min_size=1))),
            page_id=draw(st.text(min_size=1)),
            post_id=None if kind is ActionKind.UPLOAD else draw(st.text(min_size=1)),
            note=draw(st.none() | st.text()),
            resource=Kind.MEDIA,
            media=draw(_media),
        )
    if kind is ActionKind.MOVE:
        return Action(
            kind=kind,
            address=Address(draw(st.text(min_size=1)), draw(st.text(min_size=1))),
            page_id=draw(st.text(min_size=1)),
            post_id=draw(st.text(min_size=1)),
            moved_from=Address(draw(_no_slash), draw(st.text(min_size=1))),
        )
    return Action(
        kind=kind,
        address=Address(draw(st.text(min_size=1)), draw(st.text(min_size=1))),
        page_id=draw(st.text(min_size=1)),
        post_id=draw(st.none() | st.text(min_size=1)),
        before=draw(st.none() | _fields),
        after=None if kind in (ActionKind.DELETE, ActionKind.FORGET) else draw(_fields),
        changed=tuple(changed),
        forced_by=draw(st.none() | st.sampled_from(POST_FIELDS)),
        drift=draw(st.booleans()),
        note=draw(st.none() | st.text()),
        video_post=kind in (ActionKind.PUSH, ActionKind.UPDATE, ActionKind.REPLACE)
        and draw(st.booleans()),
    )


plans = st.builds(
    Plan,
    actions=st.lists(_actions(), max_size=6).map(tuple),
    reads_live=st.booleans(),
    scope=st.none() | st.lists(st.text(), unique=True, max_size=12).map(tuple),
)


def test_every_kind_and_hostile_content(snapshot_md: SnapshotAssertion) -> None:
    assert render_markdown(sample_plan()).encode() == snapshot_md


def test_without_a_reader_the_note_is_said_once(snapshot_md: SnapshotAssertion) -> None:
    assert render_markdown(no_reader_plan()).encode() == snapshot_md


def test_no_changes_is_the_heading_alone() -> None:
    assert render_markdown(Plan(actions=())) == "## No changes.\n"


def test_no_changes_without_a_reader_keeps_the_note() -> None:
    assert render_markdown(Plan(actions=(), reads_live=False)) == (
        "## No changes.\n"
        "\n"
        "> **Note:** live posts are not read, so drift (edits made outside statesync) "
        "cannot be seen; changes are found from the lockfile's recorded hashes.\n"
    )


@pytest.mark.parametrize(
    ("run", "fence"), [(0, "```"), (2, "```"), (3, "````"), (7, "````````")]
)
def test_the_fence_outlasts_every_backtick_run(run: int, fence: str) -> None:
    message = f"a{'`' * run}b\n   {'`' * run}"
    plan = Plan(
        actions=(
            Action(ActionKind.PUSH, Address("m", "k"), PAGE, after=PostFields(message)),
        )
    )
    assert render_markdown(plan) == (
        "## Plan: 1 to push, 0 to update, 0 to replace, 0 to delete.\n"
        "\n"
        "| Action | Address | Page id | Post id | Changed fields |\n"
        "| --- | --- | --- | --- | --- |\n"
        f"| `+` push | m/k | {PAGE} | (new) | message |\n"
        "\n"
        "### `+` m/k: push\n"
        "\n"
        "**message**\n"
        "\n"
        f"{fence}\n"
        f"{message}\n"
        f"{fence}\n"
    )


def test_a_limit_drops_details_from_the_end_first(
    snapshot_md: SnapshotAssertion,
) -> None:
    text = render_markdown(
        sample_plan(),
        limit=4_000,
        full_plan_hint="The full plan is in the job summary.",
    )
    assert len(text) <= 4_000
    assert text.encode() == snapshot_md


def test_then_table_rows(snapshot_md: SnapshotAssertion) -> None:
    text = render_markdown(sample_plan(), limit=1_200)
    assert len(text) <= 1_200
    assert text.encode() == snapshot_md


def test_a_plan_that_fits_exactly_is_not_truncated() -> None:
    whole = render_markdown(sample_plan())
    assert render_markdown(sample_plan(), limit=len(whole)) == whole
    cut = render_markdown(sample_plan(), limit=len(whole) - 1)
    assert len(cut) <= len(whole) - 1
    assert cut.endswith(
        f"> **Truncated** to stay under the {len(whole) - 1:,}-character limit: 2 of "
        "11 actions are in the table only, without their details. Run `statesync "
        "plan` for the full plan.\n"
    )


def test_a_limit_below_the_summary_is_refused() -> None:
    with pytest.raises(ValueError, match="a limit of 100 characters cannot hold"):
        render_markdown(sample_plan(), limit=100)


def test_two_thousand_long_actions_fit_one_comment() -> None:
    message = "\n".join(f"{n:02} " + "lorem ipsum " * 10 for n in range(20))
    plan = Plan(
        actions=tuple(
            Action(
                ActionKind.UPDATE,
                Address("big", f"post{n:04}"),
                PAGE,
                post_id=f"{PAGE}_{n}",
                before=PostFields(message=message),
                after=PostFields(message=message.replace("05 lorem", "05 LOREM")),
                changed=("message",),
            )
            for n in range(2_000)
        )
    )
    text = render_markdown(plan, full_plan_hint="See the job summary.")
    assert len(text) <= 65_536
    table = [line for line in text.splitlines() if line.startswith("| `~` update |")]
    assert table[0] == f"| `~` update | big/post0000 | {PAGE} | {PAGE}\\_0 | message |"
    assert len(table) == 806
    assert "### " not in text
    assert text.endswith(
        "\n\n> **Truncated** to stay under the 65,536-character limit: 1194 of 2000 "
        "actions are left out of the table, and no action's details are shown. "
        "See the job summary.\n"
    )


def _outside_code(markdown: str) -> tuple[list[str], list[list[str]]]:
    """Lines outside fenced code blocks, and each block's lines, by CommonMark's
    fence rules (a closing fence: up to three spaces, at least as many backticks)."""
    outside: list[str] = []
    blocks: list[list[str]] = []
    fence = ""
    for line in markdown.split("\n"):
        if not fence:
            opening = re.match(r"( {0,3})(`{3,})[^`]*$", line)
            if opening:
                fence = opening.group(2)
                blocks.append([])
            else:
                outside.append(line)
        elif re.fullmatch(rf" {{0,3}}{fence}`*[ \t]*", line):
            fence = ""
        else:
            blocks[-1].append(line)
    assert not fence, "a code block is left open"
    return outside, blocks


_TRUSTED_HTML = {"</details>"}


@given(plans)
def test_untrusted_text_stays_inert(plan: Plan) -> None:
    outside, _ = _outside_code(render_markdown(plan))
    for line in outside:
        if line in _TRUSTED_HTML or line.startswith("<details><summary>"):
            continue
        assert "<" not in line
        assert ">" not in line.lstrip(">")  # only the blockquote marker
        assert not re.search(r"@\w|#\d|gh-\d", line, re.IGNORECASE)
        assert "\r" not in line


@given(message=st.text(), address=st.text(min_size=1))
def test_a_pushed_message_is_one_code_block_holding_exactly_it(
    message: str, address: str
) -> None:
    plan = Plan(
        actions=(
            Action(
                ActionKind.PUSH,
                Address(address, "k"),
                PAGE,
                after=PostFields(message=message),
            ),
        )
    )
    outside, blocks = _outside_code(render_markdown(plan))
    assert blocks == [message.splitlines()]
    rows = [line for line in outside if line.startswith("| `+` push |")]
    assert len(rows) == 1
    assert re.sub(r"\\.", "", rows[0]).count("|") == 6  # five cells, none broken


def test_a_plan_under_only_says_its_scope_in_the_header() -> None:
    assert render_markdown(Plan(actions=(), scope=("acme", "beta"))) == (
        "## No changes.\n\n> **Scope:** --only covers 2 manifests: acme, beta.\n"
    )


def test_scope_names_are_escaped() -> None:
    text = render_markdown(Plan(actions=(), scope=("@team", "a_b#1")))
    assert text.splitlines()[2] == (
        "> **Scope:** --only covers 2 manifests: @\u200dteam, a\\_b\\#\u200d1."
    )


def test_a_delete_shows_the_post_it_deletes_in_a_code_block() -> None:
    plan = Plan(
        actions=(
            Action(
                ActionKind.DELETE,
                Address("acme", "old"),
                PAGE,
                post_id=f"{PAGE}_3",
                before=PostFields(message="Spring menu @team\n<b>Soup</b>"),
            ),
        )
    )
    assert render_markdown(plan) == (
        "## Plan: 0 to push, 0 to update, 0 to replace, 1 to delete.\n"
        "\n"
        "| Action | Address | Page id | Post id | Changed fields |\n"
        "| --- | --- | --- | --- | --- |\n"
        f"| `-` delete | acme/old | {PAGE} | {PAGE}\\_3 |  |\n"
        "\n"
        f"### `-` acme/old: delete (post {PAGE}\\_3)\n"
        "\n"
        "**live post**\n"
        "\n"
        "```\n"
        'message: "Spring menu @team" (+1 more line)\n'
        "```\n"
    )


def test_a_delete_not_read_is_the_table_row_alone() -> None:
    plan = Plan(
        actions=(
            Action(
                ActionKind.DELETE, Address("acme", "old"), PAGE, post_id=f"{PAGE}_3"
            ),
        )
    )
    assert render_markdown(plan).endswith(
        f"| `-` delete | acme/old | {PAGE} | {PAGE}\\_3 |  |\n"
    )
