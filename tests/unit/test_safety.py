"""Safety rails: prevent_destroy, the mass-delete threshold, and the apply lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from statesync.config import load_config
from statesync.errors import ConfigError, Location, StatesyncError, UnsafePlanError
from statesync.kinds import Kind
from statesync.manifest import load_desired
from statesync.model import (
    Address,
    Desired,
    DesiredPost,
    PageManifest,
    PostFields,
    Record,
    RecordedPage,
)
from statesync.normalize import field_hashes
from statesync.plan import Action, ActionKind, Plan
from statesync.planner import make_plan
from statesync.providers.graph import GraphProvider
from statesync.providers.oneall import OneAllProvider
from statesync.safety import (
    ApplyLockedError,
    SafetyRailError,
    SafetySettings,
    apply_lock_path,
    check_plan,
    hold_apply_lock,
    mass_destroys,
)

PAGE = "104510075301234"
OTHER = "104510075305678"
GRAPH_POSTS = GraphProvider.capabilities[Kind.POST]
ONEALL_POSTS = OneAllProvider.capabilities[Kind.POST]
DEFAULTS = SafetySettings()
NONE = Desired(pages={})


def post(key: str, *, protected: bool = False, page: str = PAGE) -> DesiredPost:
    return DesiredPost(
        address=Address("acme", key),
        page_id=page,
        fields=PostFields(message=f"{key} text", link="https://acme.example/a"),
        location=Location("pages/acme.yaml", 4),
        prevent_destroy=protected,
        prevent_destroy_at=Location("pages/acme.yaml", 7) if protected else None,
    )


def desired_of(*posts: DesiredPost) -> Desired:
    pages: dict[str, dict[str, DesiredPost]] = {}
    for item in posts:
        pages.setdefault(item.page_id, {})[item.address.key] = item
    return Desired(
        pages={
            page_id: PageManifest(
                page_id=page_id,
                name=None,
                stem="acme",
                location=Location("pages/acme.yaml", 1),
                posts=found,
            )
            for page_id, found in pages.items()
        }
    )


def recorded_of(count: int, page: str = PAGE) -> dict[str, RecordedPage]:
    hashes = field_hashes(PostFields(message="x"))
    return {
        page: RecordedPage(
            manifest="acme",
            posts={
                f"p{n}": Record(post_id=f"{page}_{n}", hashes=hashes)
                for n in range(count)
            },
        )
    }


def destroying(count: int, kind: ActionKind = ActionKind.DELETE) -> Plan:
    return Plan(
        actions=tuple(
            Action(
                kind=kind,
                address=Address("acme", f"p{n}"),
                page_id=PAGE,
                post_id=f"{PAGE}_{n}",
                forced_by="link" if kind is ActionKind.REPLACE else None,
            )
            for n in range(count)
        )
    )


def check(plan: Plan, recorded, *, allow: bool = False, desired=None, **settings):
    return check_plan(
        plan,
        desired or desired_of(),
        recorded,
        SafetySettings(**settings) if settings else DEFAULTS,
        allow_mass_delete=allow,
        api="the Graph API",
    )


# -- the mass-delete threshold ----------------------------------------------------


def test_a_page_under_the_minimum_never_trips() -> None:
    assert check(destroying(9), recorded_of(9)) == []


def test_ten_posts_three_deletes_is_at_the_limit_and_passes() -> None:
    assert check(destroying(3), recorded_of(10)) == []


def test_ten_posts_four_deletes_trips() -> None:
    with pytest.raises(SafetyRailError) as caught:
        check(destroying(4), recorded_of(10))
    assert caught.value.problems == (
        f"acme (page {PAGE}): the plan would delete or replace 4 of its 10 managed "
        "posts (40%), over the limit of 30% (safety.max_destroy_share in "
        "statesync.yaml). Review it with `statesync plan`; if it is intended, run "
        "apply again with --allow-mass-delete.",
    )
    assert isinstance(caught.value, UnsafePlanError)
    assert isinstance(caught.value, StatesyncError)


def test_replaces_count_as_destroys() -> None:
    with pytest.raises(SafetyRailError):
        check(destroying(4, ActionKind.REPLACE), recorded_of(10))
    assert check(destroying(3, ActionKind.REPLACE), recorded_of(10)) == []


def test_replaces_and_deletes_add_up() -> None:
    deletes, replaces = destroying(2).actions, destroying(4, ActionKind.REPLACE).actions
    plan = Plan(actions=deletes + replaces[2:])  # p0, p1 deleted; p2, p3 replaced
    found = mass_destroys(plan, desired_of(), recorded_of(10), DEFAULTS)
    assert [(m.destroyed, m.managed) for m in found] == [(4, 10)]


def test_pushes_and_updates_never_count() -> None:
    plan = Plan(
        actions=tuple(
            Action(kind=kind, address=Address("acme", f"n{n}"), page_id=PAGE)
            for n, kind in enumerate([ActionKind.PUSH] * 8 + [ActionKind.UPDATE] * 8)
        )
    )
    assert check(plan, recorded_of(10)) == []


def test_the_flag_turns_the_refusal_into_a_warning() -> None:
    assert check(destroying(10), recorded_of(10), allow=True) == [
        f"Warning: acme (page {PAGE}): the plan would delete or replace 10 of its 10 "
        "managed posts (100%), over the limit of 30% (safety.max_destroy_share in "
        "statesync.yaml); apply refuses it without --allow-mass-delete."
    ]


def test_each_page_is_judged_on_its_own_managed_posts() -> None:
    recorded = recorded_of(20) | recorded_of(10, OTHER)
    other = tuple(
        Action(
            kind=ActionKind.DELETE,
            address=Address("beta", f"p{n}"),
            page_id=OTHER,
            post_id=f"{OTHER}_{n}",
        )
        for n in range(4)
    )
    plan = Plan(actions=destroying(6).actions + other)  # 6/20 passes, 4/10 does not
    found = mass_destroys(plan, desired_of(), recorded, DEFAULTS)
    assert [(m.page_id, m.manifest, m.destroyed, m.managed) for m in found] == [
        (OTHER, "acme", 4, 10)
    ]


def test_the_settings_move_both_thresholds() -> None:
    assert check(destroying(2), recorded_of(5), min_managed_posts=6) == []
    with pytest.raises(SafetyRailError):
        check(destroying(2), recorded_of(5), min_managed_posts=5)
    assert (
        check(destroying(2), recorded_of(5), min_managed_posts=5, max_destroy_share=0.4)
        == []
    )
    assert check(destroying(10), recorded_of(10), max_destroy_share=1.0) == []
    with pytest.raises(SafetyRailError):
        check(destroying(1), recorded_of(10), max_destroy_share=0)


def test_exactly_the_limit_passes_for_any_size() -> None:
    """No float surprise at the boundary: the largest count within the share passes."""
    for managed in range(10, 101):
        recorded = recorded_of(managed)
        for share in (0.05, 0.1, 0.2, 0.25, 0.3, 0.5, 0.7):
            allowed = round(managed * share * 1000) // 1000  # floor, in exact steps
            settings = SafetySettings(max_destroy_share=share)
            plan = destroying(allowed + 1)
            assert mass_destroys(destroying(allowed), NONE, recorded, settings) == []
            assert len(mass_destroys(plan, NONE, recorded, settings)) == 1


# -- prevent_destroy ---------------------------------------------------------------


def test_a_protected_post_cannot_be_replaced() -> None:
    plan = destroying(1, ActionKind.REPLACE)
    desired = desired_of(post("p0", protected=True))
    with pytest.raises(SafetyRailError) as caught:
        check(plan, recorded_of(1), desired=desired)
    assert caught.value.problems == (
        "pages/acme.yaml:7: acme/p0 has prevent_destroy: true, but the plan would "
        "replace it (link changed; the Graph API cannot edit a link in place). "
        "Remove prevent_destroy, or undo the change.",
    )


def test_an_unprotected_post_is_replaced_freely() -> None:
    desired = desired_of(post("p0"))
    assert (
        check(destroying(1, ActionKind.REPLACE), recorded_of(1), desired=desired) == []
    )


def test_updates_of_a_protected_post_are_fine() -> None:
    plan = Plan(
        actions=(
            Action(
                kind=ActionKind.UPDATE,
                address=Address("acme", "p0"),
                page_id=PAGE,
                post_id=f"{PAGE}_0",
                changed=("link",),
            ),
        )
    )
    desired = desired_of(post("p0", protected=True))
    assert check(plan, recorded_of(1), desired=desired) == []


def test_protection_fails_even_with_the_mass_delete_flag_and_lists_everything() -> None:
    plan = destroying(12, ActionKind.REPLACE)
    desired = desired_of(post("p0", protected=True), post("p1", protected=True))
    with pytest.raises(SafetyRailError) as caught:
        check(plan, recorded_of(12), desired=desired, allow=False)
    problems = caught.value.problems
    assert [p.split(" has ")[0] for p in problems[:2]] == [
        "pages/acme.yaml:7: acme/p0",
        "pages/acme.yaml:7: acme/p1",
    ]
    assert "12 of its 12 managed posts" in problems[2]
    with pytest.raises(SafetyRailError) as caught:
        check(plan, recorded_of(12), desired=desired, allow=True)
    assert len(caught.value.problems) == 2  # the flag lifts only the mass-delete rail


def test_the_drift_that_forces_a_replace_is_named() -> None:
    (action,) = destroying(1, ActionKind.REPLACE).actions
    plan = Plan(
        actions=(
            Action(
                kind=action.kind,
                address=action.address,
                page_id=PAGE,
                post_id=action.post_id,
                forced_by="link",
                drift=True,
            ),
        )
    )
    with pytest.raises(SafetyRailError) as caught:
        check(plan, recorded_of(1), desired=desired_of(post("p0", protected=True)))
    assert "(link changed (the post was also edited outside statesync); " in str(
        caught.value
    )


def test_with_the_planner_a_link_change_trips_on_graph_but_not_on_oneall() -> None:
    """The rail reads the planner's verdict: OneAll edits a link in place."""
    protected = post("p0", protected=True)
    recorded = {
        PAGE: RecordedPage(
            manifest="acme",
            posts={
                "p0": Record(
                    post_id=f"{PAGE}_0",
                    hashes=field_hashes(
                        PostFields(message="p0 text", link="https://acme.example/old")
                    ),
                )
            },
        )
    }
    desired = desired_of(protected)
    graph = make_plan(desired, recorded, None, GRAPH_POSTS)
    assert [a.kind for a in graph.actions] == [ActionKind.REPLACE]
    with pytest.raises(SafetyRailError):
        check(graph, recorded, desired=desired)
    oneall = make_plan(desired, recorded, None, ONEALL_POSTS)
    assert [a.kind for a in oneall.actions] == [ActionKind.UPDATE]
    assert check(oneall, recorded, desired=desired) == []


def test_a_deleted_protected_post_is_no_longer_protected() -> None:
    """Terraform's rule: removing the post from its manifest removes the flag too."""
    assert check(destroying(1), recorded_of(1), desired=desired_of()) == []


# -- the apply lock ----------------------------------------------------------------


def test_the_lock_sits_beside_the_lockfile(tmp_path: Path) -> None:
    assert (
        apply_lock_path(tmp_path / "statesync.lock") == tmp_path / "statesync.lock.lock"
    )


def test_a_held_lock_refuses_at_once(tmp_path: Path) -> None:
    lockfile = tmp_path / "state" / "statesync.lock"
    with hold_apply_lock(lockfile, display_base=tmp_path) as held:
        assert held == tmp_path / "state" / "statesync.lock.lock"
        with (
            pytest.raises(ApplyLockedError) as caught,
            hold_apply_lock(lockfile, display_base=tmp_path),
        ):
            pass  # pragma: no cover - never entered
    message = str(caught.value)
    assert message.startswith(
        "another apply or plan is running on this project: state/statesync.lock.lock is locked."
    )
    assert "delete state/statesync.lock.lock" in message
    with hold_apply_lock(lockfile):  # released on exit
        pass


def test_the_lock_is_released_when_its_process_dies(tmp_path: Path) -> None:
    lockfile = tmp_path / "statesync.lock"
    holder = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-c",
            "import sys; from filelock import FileLock; "
            f"lock = FileLock({str(apply_lock_path(lockfile))!r}); lock.acquire(); "
            "print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(ApplyLockedError), hold_apply_lock(lockfile):
            pass  # pragma: no cover - never entered
    finally:
        holder.kill()  # SIGKILL: no chance to clean up
        holder.communicate()
    assert apply_lock_path(lockfile).exists()  # the file stays; the lock does not
    with hold_apply_lock(lockfile):
        pass


def test_a_lock_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with (
        pytest.raises(ApplyLockedError) as caught,
        hold_apply_lock(blocker / "statesync.lock", display_base=tmp_path),
    ):
        pass  # pragma: no cover - never entered
    assert str(caught.value).startswith(
        "cannot take the apply lock not-a-dir/statesync.lock.lock ("
    )


def test_a_thread_in_this_process_holding_a_filelock_blocks_too(tmp_path: Path) -> None:
    lockfile = tmp_path / "statesync.lock"
    other = FileLock(str(apply_lock_path(lockfile)))
    with other, pytest.raises(ApplyLockedError), hold_apply_lock(lockfile):
        pass  # pragma: no cover - never entered


# -- where the settings come from: manifests and statesync.yaml ---------------------


def test_prevent_destroy_loads_with_the_line_of_the_flag(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(
        'page: "104510075301234"\n'
        "posts:\n"
        "  spring-menu:\n"
        "    message: Spring!\n"
        "    prevent_destroy: true\n"
        "  hours:\n"
        "    prevent_destroy: false\n"
        "    message: Open.\n"
        "  plain:\n"
        "    message: Plain.\n"
    )
    posts = load_desired(tmp_path, display_base=tmp_path).pages[PAGE].posts
    assert posts["spring-menu"].prevent_destroy is True
    assert posts["spring-menu"].prevent_destroy_at == Location("acme.yaml", 5)
    assert posts["spring-menu"].fields == PostFields(message="Spring!")  # not content
    assert (posts["hours"].prevent_destroy, posts["hours"].prevent_destroy_at) == (
        False,
        None,
    )
    assert posts["plain"].prevent_destroy is False


def test_safety_settings_default_and_load(tmp_path: Path) -> None:
    (tmp_path / "statesync.yaml").write_text("provider: graph\n")
    assert load_config(tmp_path).safety == SafetySettings(0.3, 10)
    (tmp_path / "statesync.yaml").write_text(
        "safety:\n  max_destroy_share: 0.5\n  min_managed_posts: 4\n"
    )
    assert load_config(tmp_path).safety == SafetySettings(0.5, 4)
    (tmp_path / "statesync.yaml").write_text("safety:\n  max_destroy_share: 1\n")
    assert load_config(tmp_path).safety == SafetySettings(1.0, 10)
    (tmp_path / "statesync.yaml").write_text("safety:\n")
    assert load_config(tmp_path).safety == SafetySettings()


def test_bad_safety_settings_are_reported_at_their_lines(tmp_path: Path) -> None:
    (tmp_path / "statesync.yaml").write_text(
        "provider: graph\n"
        "safety:\n"
        "  max_destroy_share: 30\n"
        "  min_managed_posts: 2.5\n"
        "  max_delete_share: 0.3\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, display_base=tmp_path)
    assert str(caught.value).splitlines() == [
        "statesync.yaml:3: safety.max_destroy_share must be a number from 0 to 1, the "
        "share of a page's managed posts one apply may delete or replace (0.3 for "
        "30%), got 30 (an integer)",
        "statesync.yaml:4: safety.min_managed_posts must be a whole number of posts, 1 "
        "or more, got 2.5 (a number)",
        "statesync.yaml:5: unknown setting 'safety.max_delete_share': did you mean "
        "'safety.max_destroy_share'?",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("safety: 0.3", "safety must be a mapping, got a number"),
        ("safety:\n  max_destroy_share: '30%'", "(0.3 for 30%), got a string"),
        ("safety:\n  max_destroy_share: .nan", "got .nan (a number)"),
        ("safety:\n  max_destroy_share: -0.1", "got -0.1 (a number)"),
        ("safety:\n  max_destroy_share: true", "got the boolean true"),
        ("safety:\n  min_managed_posts: 0", "1 or more, got 0 (an integer)"),
        ("safety:\n  min_managed_posts: yes", "got the boolean yes"),
        ("safeties:\n  min_managed_posts: 3", "did you mean 'safety'?"),
    ],
)
def test_each_bad_safety_value_is_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "statesync.yaml").write_text(text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, display_base=tmp_path)
    assert message in str(caught.value)
    assert str(caught.value).startswith("statesync.yaml:")
