"""One lockfile per manifest (``lockfile: locks/{manifest}.lock``), for shards.

Shards of a large project (``--only``) apply different manifests in parallel CI jobs;
with one lockfile per manifest they never write the same file, so their lockfile
commits never conflict. A ``LockSet`` is those files seen as one ``LockStore``: each
change goes to the file of the page's manifest, and only changed files are written,
each with its own lineage and serial.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from pathlib import Path

from statesync.errors import ConfigError
from statesync.lockfile import Lockfile, load_lockfile
from statesync.model import Intent, MediaRecord, Record, RecordedPage, Upload
from statesync.targets import file_stem

PLACEHOLDER = "{manifest}"


def is_template(path: Path) -> bool:
    return PLACEHOLDER in path.name


class LockSet:
    def __init__(self, template: Path, files: dict[str, Lockfile]) -> None:
        self.template = template
        self.files = files  # manifest stem -> its lockfile
        self._mutex = threading.RLock()

    @classmethod
    def load(cls, template: Path) -> LockSet:
        prefix, _, suffix = template.name.partition(PLACEHOLDER)
        if PLACEHOLDER in suffix or PLACEHOLDER in str(template.parent):
            raise ConfigError(
                f"lockfile {template}: {PLACEHOLDER} may appear once, in the file name"
            )
        stems = set()
        for pattern in (f"{prefix}*{suffix}", f"{prefix}*{suffix}.journal"):  # 0.1
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
        return {pid: page for f in self._files() for pid, page in f.snapshot().items()}

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

    # Changes, routed to the file of the page's manifest; the parallel apply's
    # threads call these at once, and a page's first change may create its file.

    def record(self, page_id: str, manifest: str, key: str, record: Record) -> None:
        self._for(page_id, manifest).record(page_id, manifest, key, record)

    def intend(self, page_id: str, manifest: str, key: str, intent: Intent) -> None:
        self._for(page_id, manifest).intend(page_id, manifest, key, intent)

    def forget(self, page_id: str, key: str) -> None:
        owner = self._owner(page_id)
        if owner is not None:
            owner.forget(page_id, key)

    def clear_intent(self, page_id: str, key: str) -> None:
        owner = self._owner(page_id)
        if owner is not None:
            owner.clear_intent(page_id, key)

    def record_media(
        self, page_id: str, manifest: str, key: str, media: MediaRecord | None
    ) -> None:
        if media is None:
            owner = self._owner(page_id)
            if owner is not None:
                owner.record_media(page_id, manifest, key, None)
            return
        self._for(page_id, manifest).record_media(page_id, manifest, key, media)

    def intend_upload(
        self, page_id: str, manifest: str, key: str, upload: Upload | None
    ) -> None:
        if upload is None:
            owner = self._owner(page_id)
            if owner is not None:
                owner.intend_upload(page_id, manifest, key, None)
            return
        self._for(page_id, manifest).intend_upload(page_id, manifest, key, upload)

    def record_details(
        self, page_id: str, manifest: str, hashes: Mapping[str, str | None]
    ) -> None:
        self._for(page_id, manifest).record_details(page_id, manifest, hashes)

    def record_expired(
        self, page_id: str, manifest: str, key: str, at: int | None
    ) -> None:
        if at is None:
            owner = self._owner(page_id)
            if owner is not None:
                owner.record_expired(page_id, manifest, key, None)
            return
        self._for(page_id, manifest).record_expired(page_id, manifest, key, at)

    def save(self) -> None:
        """Write the files that changed; the others stay byte for byte as they were."""
        for lock in self._files():
            lock.save()

    def fold(self) -> None:
        for lock in self._files():
            lock.fold()

    def _files(self) -> list[Lockfile]:
        with self._mutex:
            return list(self.files.values())

    def _owner(self, page_id: str) -> Lockfile | None:
        return next((f for f in self._files() if page_id in f.pages), None)

    def _for(self, page_id: str, manifest: str) -> Lockfile:
        stem = file_stem(manifest)  # every target of a manifest shares its file
        with self._mutex:
            owner = self._owner(page_id) or self.files.get(stem)
            if owner is None:
                owner = Lockfile(path=self._path(self.template, stem), is_new=True)
                self.files[stem] = owner
            return owner
