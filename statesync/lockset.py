"""One lockfile per manifest (``lockfile: locks/{manifest}.lock``), for shards.

Shards of a large project (``--only``) apply different manifests in parallel CI jobs;
with one lockfile per manifest they never write the same file, so their lockfile
commits never conflict. A ``LockSet`` is those files seen as one ``LockStore``: each
change goes to the file of the page's manifest, and only touched files are written,
each with its own journal, lineage and serial.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from statesync.errors import ConfigError
from statesync.lockfile import Lockfile, load_lockfile
from statesync.model import Intent, Record, RecordedPage

PLACEHOLDER = "{manifest}"


def is_template(path: Path) -> bool:
    return PLACEHOLDER in path.name


class LockSet:
    def __init__(self, template: Path, files: dict[str, Lockfile]) -> None:
        self.template = template
        self.files = files  # manifest stem -> its lockfile
        self._touched: list[Lockfile] = []
        self._bump = False

    @classmethod
    def load(cls, template: Path) -> LockSet:
        prefix, _, suffix = template.name.partition(PLACEHOLDER)
        if PLACEHOLDER in suffix or PLACEHOLDER in str(template.parent):
            raise ConfigError(
                f"lockfile {template}: {PLACEHOLDER} may appear once, in the file name"
            )
        stems = set()
        for pattern in (f"{prefix}*{suffix}", f"{prefix}*{suffix}.journal"):
            for path in template.parent.glob(pattern):
                name = path.name.removesuffix(".journal")
                stem = name[len(prefix) : len(name) - len(suffix) or None]
                if stem and not stem.startswith(".") and "/" not in stem:
                    stems.add(stem)
        files = {
            stem: load_lockfile(cls._path(template, stem)) for stem in sorted(stems)
        }
        return cls(template, files)

    @staticmethod
    def _path(template: Path, stem: str) -> Path:
        return template.with_name(template.name.replace(PLACEHOLDER, stem))

    # What readers of a lockfile see: the union of the files.

    @property
    def pages(self) -> dict[str, RecordedPage]:
        return {pid: page for f in self.files.values() for pid, page in f.pages.items()}

    @property
    def lineage(self) -> str:
        """One digest of every file's lineage and serial: a saved plan made before
        any shard's apply is stale after it."""
        parts = sorted(
            f"{stem}:{f.lineage}:{f.serial}" for stem, f in self.files.items()
        )
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]

    @property
    def serial(self) -> int:
        return sum(f.serial for f in self.files.values())

    @property
    def is_new(self) -> bool:
        return all(f.is_new for f in self.files.values())

    # Changes, routed to the file of the page's manifest.

    def record(self, page_id: str, manifest: str, key: str, record: Record) -> None:
        self._for(page_id, manifest).record(page_id, manifest, key, record)

    def intend(self, page_id: str, manifest: str, key: str, intent: Intent) -> None:
        self._for(page_id, manifest).intend(page_id, manifest, key, intent)

    def forget(self, page_id: str, key: str) -> None:
        owner = self._owner(page_id)
        if owner is not None:
            self._touch(owner).forget(page_id, key)

    def clear_intent(self, page_id: str, key: str) -> None:
        owner = self._owner(page_id)
        if owner is not None:
            self._touch(owner).clear_intent(page_id, key)

    def bump_serial(self) -> None:
        """Each file's serial grows once per apply, when the apply first touches it:
        untouched files stay byte for byte as they were."""
        self._bump = True

    def commit(self) -> None:
        for lock in self._touched:
            lock.commit()

    def save(self) -> None:
        for lock in self._touched:
            lock.save()

    def _owner(self, page_id: str) -> Lockfile | None:
        return next((f for f in self.files.values() if page_id in f.pages), None)

    def _for(self, page_id: str, manifest: str) -> Lockfile:
        owner = self._owner(page_id)
        if owner is None:
            owner = self.files.get(manifest)
        if owner is None:
            owner = Lockfile(path=self._path(self.template, manifest), is_new=True)
            self.files[manifest] = owner
        return self._touch(owner)

    def _touch(self, lock: Lockfile) -> Lockfile:
        if not any(lock is touched for touched in self._touched):
            self._touched.append(lock)
            if self._bump:
                lock.bump_serial()
        return lock
