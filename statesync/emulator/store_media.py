"""The store's photos and videos: rows, uploaded bytes, and whether a post uses them."""

from __future__ import annotations

import json
import sqlite3

from statesync.emulator import tables
from statesync.emulator.records import Media, UploadedBytes, media_from_row
from statesync.emulator.store_core import StoreCore


class MediaStore(StoreCore):
    """Media lookups are cached like people and pages: a batch reads them per item."""

    def media(self, media_id: str) -> Media | None:
        def load(db: sqlite3.Connection) -> Media | None:
            row = db.execute(
                f"{tables.MEDIA_SELECT} WHERE media.id=?", (media_id,)
            ).fetchone()
            return media_from_row(row) if row else None

        media: Media | None = self._lookup("media", media_id, load)
        return media

    def page_media(self, page_id: str, kind: str | None = None) -> list[Media]:
        """A page's media (of one kind, if given), newest first."""
        with self._lock:
            rows = self._db.execute(
                f"{tables.MEDIA_SELECT} WHERE media.page_id=? AND ? IN (media.kind, '')"
                " ORDER BY media.created_time DESC, media.id DESC",
                (page_id, kind or ""),
            ).fetchall()
        return [media_from_row(row) for row in rows]

    def add_media(
        self,
        page_id: str,
        kind: str,
        url: str | None,
        *,
        upload: UploadedBytes | None = None,
        alt_text: str | None = None,
        name: str | None = None,
    ) -> Media:
        """A new photo or video: from a `url`, or with its bytes (`upload`)."""
        with self._tx(people=True) as db:
            media_id = tables.next_id(db)
            db.execute(
                "INSERT INTO media (id, page_id, kind, url, created_time) VALUES (?,?,?,?,?)",
                (media_id, page_id, kind, url, self.now()),
            )
            if upload is not None or alt_text is not None or name is not None:
                tables.insert_upload(db, media_id, upload, alt_text, name)
            row = db.execute(
                f"{tables.MEDIA_SELECT} WHERE media.id=?", (media_id,)
            ).fetchone()
        return media_from_row(row)

    def media_bytes(self, media_id: str) -> tuple[str, str, bytes] | None:
        """(mime, sha256, bytes) of an uploaded media; None without stored bytes."""
        with self._lock:
            row = self._db.execute(
                "SELECT mime, sha256, data FROM media_uploads"
                " WHERE media_id=? AND data IS NOT NULL",
                (media_id,),
            ).fetchone()
        return (row["mime"], row["sha256"], bytes(row["data"])) if row else None

    def media_in_use(self, media_id: str) -> bool:
        with self._lock:
            rows = self._db.execute(
                "SELECT attachments FROM posts WHERE attachments LIKE ?",
                (f'%"{media_id}"%',),
            ).fetchall()
        return any(media_id in json.loads(row["attachments"]) for row in rows)

    def publish_video(self, page_id: str, video_id: str) -> str:
        """The video's post id: its post, made now with the video's description as
        its message, unless it has one already (a video has at most one post)."""
        with self._tx(people=True) as db:  # the media lookups carry the post
            row = db.execute(
                "SELECT post_id FROM video_posts WHERE video_id=?", (video_id,)
            ).fetchone()
            if row:
                known: str = row["post_id"]
                return known
            row = db.execute(
                "SELECT name FROM media_uploads WHERE media_id=?", (video_id,)
            ).fetchone()
            post_id = tables.insert_post(
                db,
                page_id,
                self.now(),
                message=row["name"] if row else None,
                link=None,
                attachments=[video_id],
                is_published=True,
                scheduled_publish_time=None,
                is_hidden=False,
            )
            db.execute(
                "INSERT INTO video_posts (video_id, post_id, published_at) VALUES (?,?,?)",
                (video_id, post_id, self.clock()),
            )
            return post_id

    def describe_video(self, video_id: str, description: str | None) -> None:
        """A video's description, and its post's message if it has a post (None
        clears both)."""
        with self._tx(people=True) as db:
            db.execute(
                "INSERT INTO media_uploads (media_id, name) VALUES (?,?)"
                " ON CONFLICT(media_id) DO UPDATE SET name=excluded.name",
                (video_id, description),
            )
            db.execute(
                "UPDATE posts SET message=?, updated_time=? WHERE id IN"
                " (SELECT post_id FROM video_posts WHERE video_id=?)",
                (description, self.now(), video_id),
            )

    def delete_media(self, media_id: str) -> bool:
        """The media and its bytes go together."""
        with self._tx(people=True) as db:
            db.execute("DELETE FROM media_uploads WHERE media_id=?", (media_id,))
            db.execute("DELETE FROM video_posts WHERE video_id=?", (media_id,))
            return db.execute("DELETE FROM media WHERE id=?", (media_id,)).rowcount > 0
