"""desired + recorded + live page details -> the page actions of a plan. Pure.

Only the fields a manifest names are managed: a field it leaves out is never read
into a decision, never sent; a field it stops naming is forgotten (dropped from the
lockfile), not cleared, because "no value" in a manifest means "not managed".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from statesync.kinds import Capabilities, Kind
from statesync.model import Address, Desired, RecordedPage
from statesync.page_fields import BY_QUALIFIED, normalize, value_hash
from statesync.plan import PAGE_DETAILS_KEY, Action, ActionKind, PageChange

# page id -> qualified field name -> live value (absent or None: not set)
LiveDetails = Mapping[str, Mapping[str, object]]


def wanted_fields(
    desired: Desired, recorded: Mapping[str, RecordedPage]
) -> dict[str, tuple[str, ...]]:
    """The fields to read per page whose manifest manages some: those, and those the
    lockfile records (to show what a forgotten field is left as). A page whose
    manifest manages none is not read: forgetting sends nothing and needs no task."""
    wanted: dict[str, tuple[str, ...]] = {}
    for page_id, manifest in desired.pages.items():
        if manifest.details.values:
            page = recorded.get(page_id)
            names = set(manifest.details.values) | set(page.details if page else ())
            wanted[page_id] = tuple(sorted(names))
    return wanted


def settled_hashes(
    desired: Desired, recorded: Mapping[str, RecordedPage], live: LiveDetails | None
) -> dict[str, dict[str, str]]:
    """Managed fields already as the manifest wants them live, whose hash the
    lockfile lacks: recorded quietly by an apply, so that a later edit by hand is
    named as drift (nothing is sent for them)."""
    settled: dict[str, dict[str, str]] = {}
    for page_id, values in (live or {}).items():
        manifest = desired.pages.get(page_id)
        page = recorded.get(page_id)
        rec = page.details if page else {}
        now = _live_values(values)
        for name, value in (manifest.details.values if manifest else {}).items():
            digest = value_hash(value)
            if now.get(name) == value and rec.get(name) != digest:
                settled.setdefault(page_id, {})[name] = digest
    return settled


def plan_page_details(
    desired: Desired,
    recorded: Mapping[str, RecordedPage],
    live: LiveDetails | None,
    can: Capabilities | None,
) -> list[Action]:
    """One action per page whose managed fields differ from the manifest, or whose
    lockfile names fields the manifest no longer manages; pages in page-id order.

    Without live values (no reader, or ``can.read`` false), a field differs when
    the hash of its desired value is not the one recorded: drift cannot be seen."""
    if can is not None and not can.read:
        live = None
    actions: list[Action] = []
    pages = {p for p, m in desired.pages.items() if m.details.values}
    pages |= {p for p, page in recorded.items() if page.details}
    for page_id in sorted(pages):
        action = _plan_page(page_id, desired, recorded.get(page_id), live, can)
        if action is not None:
            actions.append(action)
    return actions


def _plan_page(
    page_id: str,
    desired: Desired,
    page: RecordedPage | None,
    live: LiveDetails | None,
    can: Capabilities | None,
) -> Action | None:
    manifest = desired.pages.get(page_id)
    want = dict(manifest.details.values) if manifest is not None else {}
    rec = page.details if page is not None else {}
    stem = manifest.stem if manifest is not None else (page.manifest if page else "")
    now = _live_values(live[page_id]) if live and page_id in live else None
    hashes = {name: value_hash(value) for name, value in want.items()}
    if now is not None:
        changed = sorted(name for name in want if now.get(name) != want[name])
        # Over the changed fields only: one that is as wanted has not drifted
        drift = any(
            name in rec and value_hash(now.get(name)) != rec[name] for name in changed
        )
    else:
        changed = sorted(name for name in want if hashes[name] != rec.get(name))
        drift = False
    forgotten = tuple(sorted(set(rec) - set(want)))
    if not changed and not forgotten:
        return None
    action = Action(
        kind=ActionKind.UPDATE if changed else ActionKind.FORGET,
        address=Address(stem, PAGE_DETAILS_KEY),
        page_id=page_id,
        changed=tuple(changed),
        drift=drift,
        resource=Kind.PAGE,
        page=PageChange(
            after={name: want[name] for name in changed},
            before=(
                None if now is None else {n: now.get(n) for n in (*changed, *forgotten)}
            ),
            record=hashes,
            forgotten=forgotten,
            lines=(
                {n: str(manifest.details.lines[n]) for n in changed}
                if manifest is not None
                else {}
            ),
        ),
        note=_forget_note(forgotten) if forgotten and not changed else None,
    )
    unsettable = sorted(set(changed) - can.fields) if can is not None else changed
    if unsettable:
        return _impossible(action, unsettable, can)
    return action


def _impossible(
    action: Action, unsettable: list[str], can: Capabilities | None
) -> Action:
    why = (
        "this project has no writer for page details: OneAll has no page-details "
        "API, so statesync writes them through the Graph API, which needs a Graph "
        "token"
        if can is None
        else f"this writer cannot set {', '.join(unsettable)}"
    )
    return replace(
        action, kind=ActionKind.IMPOSSIBLE, forced_by=unsettable[0], note=why
    )


def _forget_note(forgotten: tuple[str, ...]) -> str:
    names = ", ".join(forgotten)
    return f"{names}: no longer managed; left on the page as it is"


def _live_values(values: Mapping[str, object]) -> dict[str, object]:
    """Live values normalized as the manifest's are, so that equal means equal."""
    return {
        name: normalize(BY_QUALIFIED[name], value)
        for name, value in values.items()
        if name in BY_QUALIFIED
    }
