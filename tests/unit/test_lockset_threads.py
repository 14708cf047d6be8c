"""The parallel apply writes one LockSet from many threads at once: every id lands in
its manifest's file, none is lost, none is written to another manifest's file."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

from statesync.applier import apply_plan
from statesync.lockset import LockSet
from statesync.model import Address, PostFields, Record
from statesync.plan import Action, ActionKind, Plan
from tests.fakes import FakeProvider

PAGES = 24
POSTS_PER_PAGE = 6
HASHES = {"attachments": "a" * 16, "link": "b" * 16, "message": "c" * 16}


class JitteryProvider(FakeProvider):
    """Answers after a random pause, so that the threads' lockfile writes interleave."""

    def __init__(self) -> None:
        super().__init__()
        self._random = random.Random(20261128)
        self._guard = threading.Lock()
        self.threads: set[str] = set()

    def _pause(self) -> None:
        with self._guard:
            delay = self._random.uniform(0, 0.004)
            self.threads.add(threading.current_thread().name)
        time.sleep(delay)

    def push(
        self, page_id: str, fields: PostFields, *, schedule: int | None = None
    ) -> str:
        self._pause()
        return super().push(page_id, fields, schedule=schedule)

    def delete(self, page_id: str, post_id: str) -> None:
        self._pause()
        super().delete(page_id, post_id)


def test_parallel_apply_over_many_pages_keeps_every_id_in_its_own_file(
    tmp_path: Path,
) -> None:
    template = tmp_path / "locks" / "{manifest}.lock"
    seeded = LockSet.load(template)
    for page in range(PAGES):  # one post per page that the plan deletes
        seeded.record(str(1000 + page), f"m{page:02}", "old", Record("x_1", HASHES))
    seeded.save()

    actions = []
    for page in range(PAGES):
        page_id, stem = str(1000 + page), f"m{page:02}"
        actions.append(
            Action(ActionKind.DELETE, Address(stem, "old"), page_id, post_id="x_1")
        )
        actions.extend(
            Action(
                ActionKind.PUSH,
                Address(stem, f"p{n}"),
                page_id,
                after=PostFields(message=f"{stem} post {n}"),
            )
            for n in range(POSTS_PER_PAGE)
        )
    writer = JitteryProvider()
    locks = LockSet.load(template)
    report = apply_plan(Plan(tuple(actions)), writer, locks, parallelism=12)

    assert len(report.outcomes) == len(actions)
    assert len(writer.threads) > 1  # the writes really came from several threads
    pushed = {o.post_id for o in report.outcomes if o.action.kind == ActionKind.PUSH}
    assert len(pushed) == PAGES * POSTS_PER_PAGE  # every push, each id once
    files = sorted(template.parent.glob("*.lock"))
    assert [f.name for f in files] == [f"m{page:02}.lock" for page in range(PAGES)]
    on_disk: set[str] = set()
    for page, path in enumerate(files):
        document = json.loads(path.read_text())
        assert list(document["pages"]) == [str(1000 + page)]  # only its own page
        posts = document["pages"][str(1000 + page)]["posts"]
        assert sorted(posts) == [f"p{n}" for n in range(POSTS_PER_PAGE)]  # old: gone
        on_disk.update(entry["id"] for entry in posts.values())
        assert not document["pages"][str(1000 + page)].get("intents")
    assert on_disk == pushed
