"""`statesync state`: read and edit the lockfile by address, without touching a page.

Terraform's ``state list / show / rm / mv``, for posts: ``forget`` stops managing a post
(it stays live, nothing is sent), ``mv`` renames its address (it keeps its id, likes and
comments). Each edit runs under the apply lock and is one atomic lockfile write; the
serial grows only when something changed. Both refuse what would make the next plan
destroy or duplicate a post: forgetting a post its manifest still lists (the next plan
would push it again), or moving onto an address that is taken or on another page.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from statesync.errors import StatesyncError
from statesync.lockfile import LockStore
from statesync.manifest_check import POST_KEY
from statesync.media_apply import forget_post, move_record
from statesync.model import Address, Desired, RecordedPage
from statesync.plan import Action, ActionKind
from statesync.project import open_project
from statesync.targets import target_of


class StateError(StatesyncError):
    """A state command that names nothing, or would break the lockfile's promises."""


@dataclass(frozen=True, slots=True)
class StateEntry:
    address: Address
    page_id: str
    post_id: str | None  # None: a push whose outcome is not settled yet
    hashes: dict[str, str]
    media: tuple[str, ...] = ()  # the files of the page this post attaches
    applied_at: int | None = None  # when its content was last applied, if recorded

    @property
    def permalink(self) -> str | None:
        """PROTOCOL §8: ``https://www.facebook.com/<page id>/posts/<post id>``."""
        if self.post_id is None or "_" not in self.post_id:
            return None
        page, post = self.post_id.split("_", 1)
        return f"https://www.facebook.com/{page}/posts/{post}"


def entries(lock: LockStore, desired: Desired) -> list[StateEntry]:
    """Every recorded post, and every pending push, by address."""
    found = []
    for page_id, page in lock.pages.items():
        stem = _stem(page_id, page, desired)
        for key, record in page.posts.items():
            files = tuple(
                sorted(m.shown for m in page.media.values() if key in m.used_by)
            )
            found.append(
                StateEntry(
                    Address(stem, key),
                    page_id,
                    record.post_id,
                    dict(record.hashes),
                    files,
                    record.applied_at,
                )
            )
        found.extend(
            StateEntry(Address(stem, key), page_id, None, dict(intent.hashes))
            for key, intent in page.intents.items()
            if key not in page.posts
        )
    return sorted(found, key=lambda entry: entry.address)


def state_list(root: Path, glob: str | None = None) -> list[StateEntry]:
    """The recorded posts whose address matches ``glob`` (all without one)."""
    with open_project(root, read_only_if_busy=True) as loaded:
        found = entries(loaded.lock, loaded.desired)
    if glob is None:
        return found
    return [e for e in found if fnmatch.fnmatchcase(str(e.address), glob)]


def state_show(root: Path, address: str) -> StateEntry:
    with open_project(root, read_only_if_busy=True) as loaded:
        return _entry(entries(loaded.lock, loaded.desired), address)


def state_forget(root: Path, addresses: Sequence[str]) -> list[str]:
    """Stop managing these posts: each stays live, the lockfile forgets it. All or
    nothing: one address that cannot be forgotten refuses the whole command."""
    with open_project(root) as loaded:
        found = entries(loaded.lock, loaded.desired)
        chosen = [_entry(found, address) for address in dict.fromkeys(addresses)]
        for entry in chosen:
            _refuse_if_wanted(entry, loaded.desired)
            if entry.post_id is None:
                raise StateError(
                    f"{entry.address}: its push has no settled outcome yet; settle it "
                    "first (`statesync plan` lists it, `statesync resolve` settles it)"
                )
        said = []
        for entry in chosen:
            forget_post(
                loaded.lock, Action(ActionKind.FORGET, entry.address, entry.page_id)
            )
            said.append(
                f"{entry.address}: forgotten; post {entry.post_id} stays on "
                f"{target_of(entry.page_id)}, unmanaged"
            )
        loaded.lock.save()
        return said


def state_mv(root: Path, old: str, new: str) -> str:
    """Give a recorded post another address of the same page; nothing is sent."""
    with open_project(root) as loaded:
        found = entries(loaded.lock, loaded.desired)
        entry = _entry(found, old)
        target = _parse(new)
        if entry.post_id is None:
            raise StateError(
                f"{old}: its push has no settled outcome yet; settle it first"
            )
        if not POST_KEY.fullmatch(target.key):
            raise StateError(
                f"{new}: {target.key!r} is not a post key (1 to 100 letters, digits, "
                "'.', '_' or '-', starting with a letter or digit)"
            )
        if target.manifest != entry.address.manifest:
            raise StateError(
                f"{new}: a post stays on its page; {old} is on page {entry.page_id}, "
                f"whose manifest is {entry.address.manifest}"
            )
        if any(e.address == target for e in found):
            raise StateError(f"{new} is already recorded; forget or move it first")
        move = Action(
            ActionKind.MOVE,
            target,
            entry.page_id,
            post_id=entry.post_id,
            moved_from=entry.address,
        )
        move_record(loaded.lock, move)  # as apply makes a `moved:` entry
        return f"{old} -> {new}: moved; post {entry.post_id} keeps its id"


def _refuse_if_wanted(entry: StateEntry, desired: Desired) -> None:
    manifest = desired.pages.get(entry.page_id)
    post = manifest.posts.get(entry.address.key) if manifest else None
    if post is not None:
        raise StateError(
            f"{entry.address}: its manifest still lists it ({post.location.file}:"
            f"{post.location.line}), so the next apply would push it again; remove "
            "it from the manifest first, then forget it"
        )


def _entry(found: Sequence[StateEntry], address: str) -> StateEntry:
    target = _parse(address)
    for entry in found:
        if entry.address == target:
            return entry
    raise StateError(
        f"{address}: the lockfile records no such post; `statesync state list` shows "
        "the recorded addresses"
    )


def _parse(address: str) -> Address:
    manifest, slash, key = address.partition("/")
    if not (manifest and slash and key):
        raise StateError(f"{address!r} is not an address: write <manifest>/<post key>")
    return Address(manifest, key)


def _stem(page_id: str, page: RecordedPage, desired: Desired) -> str:
    owner = desired.pages.get(page_id)
    return owner.stem if owner is not None else page.manifest
