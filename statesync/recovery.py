"""Crash recovery: settle pushes whose outcome is unknown, without ever pushing twice.

Before each push, the applier records an *intent* (address, content hashes, time) in
the lockfile. If the run dies, or the API's answer is lost, before the post id is
recorded, the intent remains. Recovery lists the page's posts created since the intent
(PROTOCOL §3: a failed write may have happened anyway) and adopts the one whose content
matches; an intent with no matching post never reached the API and is cleared. With no
way to list a page, intents stay and the plan shows them as unknown outcomes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from statesync.errors import ResolveError
from statesync.lockfile import LockStore
from statesync.model import Desired, Intent, Record
from statesync.normalize import field_hashes
from statesync.providers.base import ListedPost, Lister
from statesync.targets import is_facebook, post_id_problem, target_of

log = logging.getLogger(__name__)

# The API's clock and ours may disagree; look this far before an intent's time.
CLOCK_SKEW_S = 300


def wait_for_in_flight(
    sent_at: float,
    window_s: float,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Wait until a push sent at ``sent_at`` can no longer be in flight: ``window_s``
    is the lister's settle window (its provider knows how long a request can take)."""
    wait = sent_at + window_s - clock()
    if wait > 0:
        log.warning("waiting %.0f s for a push that may still be in flight", wait)
        sleep(min(wait, window_s + 1))


@dataclass(frozen=True, slots=True)
class Settled:
    page_id: str
    key: str
    post_id: str | None  # adopted post; None: the push never happened, intent cleared


def find_match(
    intent: Intent, listed: Sequence[ListedPost], taken: set[str]
) -> str | None:
    """The earliest post created since the intent with exactly the intended content
    that no other address already owns."""
    matches = [
        post
        for post in listed
        if post.created_time >= intent.since - CLOCK_SKEW_S
        and post.post_id not in taken
        and field_hashes(post.fields) == dict(intent.hashes)
    ]
    if not matches:
        return None
    return min(matches, key=lambda post: (post.created_time, post.post_id)).post_id


def recover(
    lock: LockStore,
    lister: Lister | None,
    scope: frozenset[str] | None = None,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Settled]:
    """Settle every pending intent of the pages in ``scope`` (in memory: the caller
    saves). Without a lister nothing can be settled and the intents stay."""
    if lister is None:
        return []
    # One snapshot: a per-manifest LockSet builds ``pages`` on every access.
    pending = {
        page_id: page
        for page_id, page in lock.pages.items()
        # Only a Facebook page can be listed: another network's lost push stays
        # to be resolved by hand (``statesync resolve``).
        if page.intents and (scope is None or page_id in scope) and is_facebook(page_id)
    }
    if not pending:
        return []
    # An intent's time is floored to the second: allow for the rest of it.
    youngest = max(i.since for page in pending.values() for i in page.intents.values())
    wait_for_in_flight(youngest + 1, lister.settle_window_s, clock=clock, sleep=sleep)
    settled: list[Settled] = []
    for page_id, page in sorted(pending.items()):
        since = min(intent.since for intent in page.intents.values()) - CLOCK_SKEW_S
        listed = lister.recent_posts(page_id, since=since)
        for key in sorted(page.intents):
            intent = page.intents[key]
            taken = {record.post_id for record in page.posts.values()}
            post_id = find_match(intent, listed, taken)
            if post_id is None:
                lock.clear_intent(page_id, key)
                log.info("%s/%s: the pending push never happened", page.manifest, key)
            else:
                record = Record(post_id, intent.hashes, publish_at=intent.publish_at)
                lock.record(page_id, page.manifest, key, record)
                log.info("%s/%s: adopted post %s", page.manifest, key, post_id)
            settled.append(Settled(page_id, key, post_id))
    return settled


def resolve_intent(
    lock: LockStore, address: str, desired: Desired, post_id: str | None
) -> str:
    """Settle an unknown outcome by hand: the post the push published, or none.

    For projects that cannot list their pages (OneAll without reads): a person looks
    at the page and says what happened. Returns what was done, for the user.
    """
    manifest, _, key = address.partition("/")
    for page_id, page in lock.pages.items():
        owner = desired.pages.get(page_id)
        stem = owner.stem if owner else page.manifest
        if stem != manifest or key not in page.intents:
            continue
        if post_id is None:
            lock.clear_intent(page_id, key)
            lock.save()
            return f"{address}: the push published nothing; the next apply pushes it."
        problem = post_id_problem(page_id, post_id)
        if problem is not None:
            raise ResolveError(
                f"{address}: {post_id!r} is not a post of {target_of(page_id)} "
                f"({problem})"
            )
        lock.record(
            page_id, page.manifest, key, Record(post_id, page.intents[key].hashes)
        )
        lock.save()
        return f"{address}: recorded post {post_id}; the next plan compares it."
    raise ResolveError(
        f"{address}: no push with an unknown outcome there; `statesync plan` lists "
        "the ones to resolve"
    )
