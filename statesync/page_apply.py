"""Apply one action on a page's own details and settings, and record it."""

from __future__ import annotations

from statesync.errors import ProviderError
from statesync.lockfile import LockStore
from statesync.page_fields import DETAILS, SETTINGS
from statesync.plan import Action, ActionKind, PageChange
from statesync.providers.base import PageEditor


def apply_page(action: Action, editor: PageEditor | None, lock: LockStore) -> None:
    """Send the changed fields, recording each request's fields as soon as it is
    done (a failure later in the page leaves what landed recorded, not drift); then
    the hash of every managed field, and drop the forgotten ones (a forget sends
    nothing: the field stays as it is)."""
    change = action.page or PageChange()
    manifest = action.address.manifest
    if action.kind is ActionKind.UPDATE:
        if editor is None:  # planning refuses this first; a saved plan may not
            raise ProviderError(
                "page details are written through the Graph API, and this project "
                "has no Graph token",
                target=f"POST /{action.page_id}",
            )
        for request in _requests(change):
            try:
                editor.update_details(action.page_id, request)
            except ProviderError as exc:
                raise _with_lines(exc, change) from exc
            sent = {name: change.record.get(name) for name in request}
            lock.record_details(action.page_id, manifest, sent)
            lock.save()
    hashes: dict[str, str | None] = dict(change.record)
    hashes.update(dict.fromkeys(change.forgotten))
    lock.record_details(action.page_id, manifest, hashes)
    lock.save()


def _requests(change: PageChange) -> list[dict[str, object]]:
    """As the API takes them (seed 004): every detail in one ``POST /{page-id}``,
    each setting in its own ``POST /{page-id}/settings``."""
    details = {n: v for n, v in change.after.items() if n.startswith(DETAILS + ".")}
    settings = [{n: v} for n, v in change.after.items() if n.startswith(SETTINGS + ".")]
    return ([details] if details else []) + settings


def _with_lines(exc: ProviderError, change: PageChange) -> ProviderError:
    """The API's refusal, naming the manifest lines of the values it refused: of
    the request that failed (the details' POST, or one setting's), the field its
    message names (error 100 names the parameter), else every one it sent."""
    target = exc.target or ""
    section = SETTINGS if "/settings" in target else DETAILS
    sent = [
        name
        for name in change.after
        if name.startswith(section + ".")
        and (section == DETAILS or name.split(".", 1)[1] in target)
    ]
    text = exc.message.lower()
    named = [n for n in sent if n.split(".", 1)[1].lower() in text] or sent
    shown = sorted(
        (n for n in named if n in change.lines),
        key=lambda n: int(change.lines[n].rsplit(":", 1)[1]),
    )
    where = ", ".join(f"{change.lines[n]} ({n})" for n in shown)
    return ProviderError(
        f"{exc.message}; the manifest sets it at {where}" if where else exc.message,
        target=exc.target,
        status=exc.status,
        code=exc.code,
        remedy=exc.remedy,
    )
