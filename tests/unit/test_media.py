"""Media files in manifests: validated offline with FILE:LINE, identified by content,
planned as uploads before the posts and deletions after them. No server needed."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from statesync.errors import ManifestError
from statesync.kinds import Capabilities
from statesync.lockfile import load_lockfile
from statesync.manifest import load_desired
from statesync.media import MAX_IMAGE_BYTES, is_ref, ref_key
from statesync.model import POST_FIELDS, MediaRecord, PostFields, Record, Upload
from statesync.normalize import field_hashes
from statesync.plan import ActionKind
from statesync.planner import make_plan
from statesync.render.text import render_plan

PAGE = "104510075301234"
POSTS = Capabilities(frozenset(POST_FIELDS), frozenset(POST_FIELDS))
IMAGES = Capabilities(frozenset({"image"}), frozenset())
IMAGES_AND_VIDEOS = Capabilities(frozenset({"image", "video"}), frozenset())
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def image_bytes(color: str = "red", fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, fmt)
    return buffer.getvalue()


def project(tmp_path: Path, posts: str, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    pages = tmp_path / "pages"
    pages.mkdir(exist_ok=True)
    (pages / "acme.yaml").write_text(f'page: "{PAGE}"\nposts:\n{posts}')
    return pages


def problems(pages: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_desired(pages, display_base=pages.parent, media_root=pages.parent)
    return str(caught.value).splitlines()


def load(pages: Path):
    return load_desired(pages, display_base=pages.parent, media_root=pages.parent)


# -- validation -----------------------------------------------------------------------


def test_files_and_ids_load_as_refs_in_order_with_alt_text(tmp_path: Path) -> None:
    pages = project(
        tmp_path,
        "  latte:\n    message: Latte art.\n    attachments:\n"
        "      - media/a.jpg\n"
        "      - file: media/b.png\n        alt: Two cups\n"
        '      - "10213097336001811"\n',
        {"media/a.jpg": image_bytes(fmt="JPEG"), "media/b.png": image_bytes("blue")},
    )
    manifest = load(pages).pages[PAGE]
    a, b, media_id = manifest.posts["latte"].fields.attachments
    assert is_ref(a)
    assert is_ref(b)
    assert media_id == "10213097336001811"
    files = {m.shown: m for m in manifest.media.values()}
    assert files["media/a.jpg"].mime == "image/jpeg"
    assert files["media/b.png"].mime == "image/png"
    assert files["media/b.png"].alt == "Two cups"
    assert ref_key(b) == files["media/b.png"].key != files["media/b.png"].sha256


def test_every_bad_file_is_one_problem_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "outside.jpg").write_bytes(image_bytes(fmt="JPEG"))
    inside = tmp_path / "proj"
    inside.mkdir()
    os.symlink(tmp_path / "outside.jpg", inside / "link.jpg")
    oversize = image_bytes(fmt="JPEG") + b"\x00" * MAX_IMAGE_BYTES
    pages = project(
        inside,
        "  p:\n    attachments:\n"
        "      - /etc/passwd\n"  # line 5
        "      - ../outside.jpg\n"
        "      - link.jpg\n"
        "      - missing.jpg\n"
        "      - notes.jpg\n"
        "      - big.jpg\n"
        "      - media\n",  # line 11: a directory
        {"notes.jpg": b"just some text, named like a photo\n", "big.jpg": oversize},
    )
    (inside / "media").mkdir()
    assert problems(pages) == [
        "pages/acme.yaml:5: attachments[0]: '/etc/passwd' is an absolute path: name "
        "the file relative to the project (the directory holding statesync.yaml)",
        "pages/acme.yaml:6: attachments[1]: '../outside.jpg' leads outside the "
        "project: only files inside it can be attached",
        "pages/acme.yaml:7: attachments[2]: 'link.jpg' leads outside the project: "
        "only files inside it can be attached",
        "pages/acme.yaml:8: attachments[3]: 'missing.jpg' does not exist",
        "pages/acme.yaml:9: attachments[4]: 'notes.jpg' is not an image or video the "
        "API accepts (its bytes are no known type); attach JPEG, PNG, GIF or WebP "
        "images, or MP4 or QuickTime videos",
        f"pages/acme.yaml:10: attachments[5]: 'big.jpg' is {len(oversize):,} bytes, "
        "over the 4.0 MB (4,194,304 bytes) that a photo upload accepts",
        "pages/acme.yaml:11: attachments[6]: 'media' is not a regular file",
    ]


def test_a_video_goes_alone_and_has_no_alt_text(tmp_path: Path) -> None:
    pages = project(
        tmp_path,
        "  mixed:\n    attachments: [clip.mp4, a.png]\n"
        "  described:\n    attachments:\n      - file: clip.mp4\n        alt: A clip\n"
        "  twice:\n    attachments: [a.png, same-bytes.png]\n",
        {"clip.mp4": MP4, "a.png": image_bytes(), "same-bytes.png": image_bytes()},
    )
    assert problems(pages) == [
        "pages/acme.yaml:4: a video is posted alone: attach one video, or only images",
        "pages/acme.yaml:7: attachments[0]: 'clip.mp4' is a video: alt text "
        "describes an image; remove 'alt'",
        "pages/acme.yaml:10: same-bytes.png is attached twice (first at line 10)",
    ]


def test_link_and_files_still_exclude_each_other(tmp_path: Path) -> None:
    pages = project(
        tmp_path,
        "  p:\n    link: https://acme.example\n    attachments: [a.png]\n",
        {"a.png": image_bytes()},
    )
    assert problems(pages) == [
        "pages/acme.yaml:3: post 'p' has both link and attachments: a post carries "
        "one or the other, never both"
    ]


# -- planning -------------------------------------------------------------------------


def _lock(tmp_path: Path):
    return load_lockfile(tmp_path / "statesync.lock")


def test_the_same_file_in_two_posts_is_uploaded_once_before_them(
    tmp_path: Path,
) -> None:
    pages = project(
        tmp_path,
        "  a:\n    attachments: [media/x.png]\n"
        "  b:\n    message: again\n    attachments: [copy.png]\n",
        {"media/x.png": image_bytes(), "copy.png": image_bytes()},
    )
    plan = make_plan(load(pages), {}, {}, POSTS, media=IMAGES)
    kinds = [(a.kind, a.on_media) for a in plan.actions]
    assert kinds == [
        (ActionKind.UPLOAD, True),
        (ActionKind.PUSH, False),
        (ActionKind.PUSH, False),
    ]
    assert plan.summary() == (
        "Plan: 2 to push, 0 to update, 0 to replace, 0 to delete. Media: 1 to upload."
    )
    text = render_plan(plan)
    assert "  + copy.png: upload (" in text or "  + media/x.png: upload (" in text
    assert 'attachments: ["media/x.png"]' in text


def _recorded(tmp_path: Path, pages: Path, media_id: str = "555"):
    """The lockfile as after an apply of ``pages``: every post and file recorded."""
    lock = _lock(tmp_path)
    manifest = load(pages).pages[PAGE]
    for key, media in manifest.media.items():
        users = tuple(
            sorted(
                k
                for k, p in manifest.posts.items()
                if media.ref in p.fields.attachments
            )
        )
        record = MediaRecord(media_id, media.mime, media.size, media.shown, users)
        lock.record_media(PAGE, "acme", key, record)
    for key, post in manifest.posts.items():
        ids = tuple(media_id if is_ref(a) else a for a in post.fields.attachments)
        fields = type(post.fields)(post.fields.message, post.fields.link, ids)
        lock.record(PAGE, "acme", key, Record(f"{PAGE}_{key}", field_hashes(fields)))
    return lock


def test_a_renamed_file_plans_nothing(tmp_path: Path) -> None:
    pages = project(
        tmp_path, "  a:\n    attachments: [x.png]\n", {"x.png": image_bytes()}
    )
    lock = _recorded(tmp_path, pages)
    (tmp_path / "x.png").rename(tmp_path / "renamed.png")
    (pages / "acme.yaml").write_text(
        f'page: "{PAGE}"\nposts:\n  a:\n    attachments: [renamed.png]\n'
    )
    plan = make_plan(load(pages), lock.pages, None, POSTS, media=IMAGES)
    assert plan.actions == ()


def test_a_changed_file_uploads_updates_then_deletes_the_old_media(
    tmp_path: Path,
) -> None:
    pages = project(
        tmp_path, "  a:\n    attachments: [x.png]\n", {"x.png": image_bytes()}
    )
    lock = _recorded(tmp_path, pages)
    (tmp_path / "x.png").write_bytes(image_bytes("green"))
    plan = make_plan(load(pages), lock.pages, None, POSTS, media=IMAGES)
    assert [(a.kind.value, a.resource.value) for a in plan.actions] == [
        ("upload", "media"),
        ("update", "post"),
        ("delete", "media"),
    ]
    assert plan.actions[1].changed == ("attachments",)
    assert plan.actions[2].post_id == "555"
    assert plan.summary().endswith("Media: 1 to upload, 1 to delete.")
    text = render_plan(plan)
    assert "  - x.png: delete (media 555, " in text
    assert "      # no post attaches it any more" in text


def test_removing_the_last_use_deletes_the_media_after_the_post(
    tmp_path: Path,
) -> None:
    pages = project(
        tmp_path,
        "  a:\n    attachments: [x.png]\n  b:\n    message: stays\n",
        {"x.png": image_bytes()},
    )
    lock = _recorded(tmp_path, pages)
    (pages / "acme.yaml").write_text(
        f'page: "{PAGE}"\nposts:\n  b:\n    message: stays\n'
    )
    plan = make_plan(load(pages), lock.pages, None, POSTS, media=IMAGES)
    assert [(a.kind.value, a.resource.value) for a in plan.actions] == [
        ("delete", "post"),
        ("delete", "media"),
    ]


def test_a_video_on_a_writer_that_cannot_upload_one_is_impossible(
    tmp_path: Path,
) -> None:
    pages = project(tmp_path, "  clip:\n    attachments: [c.mp4]\n", {"c.mp4": MP4})
    refused = make_plan(load(pages), {}, {}, POSTS, media=IMAGES)
    assert [a.kind for a in refused.actions] == [ActionKind.IMPOSSIBLE]
    assert "cannot upload c.mp4 (a video)" in (refused.actions[0].note or "")
    allowed = make_plan(load(pages), {}, {}, POSTS, media=IMAGES_AND_VIDEOS)
    assert [a.kind for a in allowed.actions] == [ActionKind.UPLOAD, ActionKind.PUSH]


# A writer on which a video is its own post (Graph's Kind.VIDEO_POST).
VIDEO_POSTS = Capabilities(
    frozenset({"message", "attachments"}), frozenset({"message"}), schedule=False
)
SCHEDULING = Capabilities(frozenset(POST_FIELDS), frozenset(POST_FIELDS), schedule=True)


def _video_plan(lock, pages: Path, can: Capabilities = POSTS, now=None):
    return make_plan(
        load(pages),
        lock.pages,
        None,
        can,
        media=IMAGES_AND_VIDEOS,
        video=VIDEO_POSTS,
        now=now,
    )


def test_a_video_posts_message_changes_in_place_and_its_file_by_replace(
    tmp_path: Path,
) -> None:
    pages = project(
        tmp_path,
        "  clip:\n    message: open\n    attachments: [c.mp4]\n",
        {"c.mp4": MP4},
    )
    lock = _recorded(tmp_path, pages)
    (pages / "acme.yaml").write_text(
        f'page: "{PAGE}"\nposts:\n  clip:\n    message: open now\n'
        "    attachments: [c.mp4]\n"
    )
    (update,) = _video_plan(lock, pages).actions
    assert (update.kind, update.changed) == (ActionKind.UPDATE, ("message",))
    assert update.video_post
    (tmp_path / "c.mp4").write_bytes(MP4 + b"longer")
    plan = _video_plan(lock, pages)
    assert [(a.kind.value, a.resource.value, a.forced_by) for a in plan.actions] == [
        ("upload", "media", None),
        ("replace", "post", "attachments"),
        ("delete", "media", None),
    ]
    assert [a.video_post for a in plan.actions] == [False, True, False]
    # Where a video is an attachment like any other, the same change is an update.
    writer_attaching = make_plan(
        load(pages), lock.pages, None, POSTS, media=IMAGES_AND_VIDEOS
    )
    assert [a.kind for a in writer_attaching.actions] == [
        ActionKind.UPLOAD,
        ActionKind.UPDATE,
        ActionKind.DELETE,
    ]


def test_a_photo_post_becoming_a_video_post_and_back_is_a_replace(
    tmp_path: Path,
) -> None:
    files = {"c.mp4": MP4, "x.png": image_bytes()}
    pages = project(tmp_path, "  a:\n    attachments: [x.png]\n", files)
    lock = _recorded(tmp_path, pages)
    (pages / "acme.yaml").write_text(
        f'page: "{PAGE}"\nposts:\n  a:\n    attachments: [c.mp4]\n'
    )
    plan = _video_plan(lock, pages)
    kinds = [(a.kind, a.video_post) for a in plan.actions]
    assert kinds == [
        (ActionKind.UPLOAD, False),
        (ActionKind.REPLACE, True),
        (ActionKind.DELETE, False),
    ]
    video_lock_dir = tmp_path / "video"
    video_lock_dir.mkdir()
    lock = _recorded(video_lock_dir, pages)  # recorded as the video post
    (pages / "acme.yaml").write_text(
        f'page: "{PAGE}"\nposts:\n  a:\n    attachments: [x.png]\n'
    )
    plan = _video_plan(lock, pages)
    kinds = [(a.kind, a.video_post) for a in plan.actions]
    assert kinds == [  # back to a photo post: a feed post, pushed as any other
        (ActionKind.UPLOAD, False),
        (ActionKind.REPLACE, False),
        (ActionKind.DELETE, False),
    ]


def test_a_live_video_post_adopted_by_id_is_edited_as_a_video_post(
    tmp_path: Path,
) -> None:
    """`statesync import` writes a video post's video as a bare id: what the reader
    says of the live post makes it a video post, so its message is the video's."""
    pages = project(
        tmp_path, "  clip:\n    message: new\n    attachments: ['42']\n", {}
    )
    lock = _lock(tmp_path)
    old = PostFields(message="old", attachments=("42",))
    lock.record(PAGE, "acme", "clip", Record(f"{PAGE}_9", field_hashes(old)))
    live = {f"{PAGE}_9": PostFields(message="old", attachments=("42",), video=True)}
    (update,) = make_plan(
        load(pages), lock.pages, live, POSTS, media=IMAGES, video=VIDEO_POSTS
    ).actions
    assert (update.kind, update.changed, update.video_post) == (
        ActionKind.UPDATE,
        ("message",),
        True,
    )
    elsewhere = {
        f"{PAGE}_9": PostFields(message="old", attachments=("43",), video=True)
    }
    (replaced,) = make_plan(
        load(pages), lock.pages, elsewhere, POSTS, media=IMAGES, video=VIDEO_POSTS
    ).actions
    assert (replaced.kind, replaced.video_post) == (ActionKind.REPLACE, False)


def test_a_video_post_becoming_a_link_post_is_replaced(tmp_path: Path) -> None:
    pages = project(tmp_path, "  a:\n    attachments: [c.mp4]\n", {"c.mp4": MP4})
    lock = _recorded(tmp_path, pages)
    (pages / "acme.yaml").write_text(
        f'page: "{PAGE}"\nposts:\n  a:\n    message: read\n'
        "    link: https://acme.example/news\n"
    )
    plan = _video_plan(lock, pages)
    assert [(a.kind, a.video_post, a.forced_by) for a in plan.actions] == [
        (ActionKind.REPLACE, False, "attachments"),
        (ActionKind.DELETE, False, None),  # the video, once its post is gone
    ]


def test_an_expired_post_does_not_keep_its_video_from_a_post_due_now(
    tmp_path: Path,
) -> None:
    pages = project(
        tmp_path,
        "  a:\n    attachments: [c.mp4]\n    expire_at: 2026-11-01T00:00:00Z\n"
        "  b:\n    message: now\n    attachments: [c.mp4]\n",
        {"c.mp4": MP4},
    )
    lock = _lock(tmp_path)
    plan = _video_plan(lock, pages, now=1796202000.0)  # after a's expiry
    assert [(a.kind, a.address.key, a.video_post) for a in plan.actions] == [
        (ActionKind.UPLOAD, plan.actions[0].address.key, False),
        (ActionKind.PUSH, "b", True),
    ]


def test_a_scheduled_post_that_would_share_a_video_stays_and_is_impossible(
    tmp_path: Path,
) -> None:
    """Its scheduled predecessor is not withdrawn on a promise that cannot be kept:
    the video is another post's, so the plan says so now."""
    at, now = 1796202000, 1796202000.0 - 86400
    pages = project(
        tmp_path,
        "  b:\n    message: now\n    attachments: [c.mp4]\n"
        "  a:\n    message: soon\n    attachments: [c.mp4]\n"
        "    publish_at: 2026-12-02T09:00:00Z\n",
        {"c.mp4": MP4},
    )
    lock = _lock(tmp_path)
    scheduled = PostFields(message="soon")
    lock.record(
        PAGE, "acme", "a", Record(f"{PAGE}_7", field_hashes(scheduled), publish_at=at)
    )
    plan = _video_plan(lock, pages, can=SCHEDULING, now=now)
    kinds = {(a.address.key, a.kind) for a in plan.actions if not a.on_media}
    assert kinds == {("b", ActionKind.PUSH), ("a", ActionKind.IMPOSSIBLE)}


def test_a_future_video_post_waits_where_a_text_post_is_scheduled(
    tmp_path: Path,
) -> None:
    ahead = "2026-12-02T09:00:00Z"
    at = 1796202000  # `ahead` in Unix seconds
    now = at - 86400.0  # a day before: inside Graph's scheduling window
    pages = project(
        tmp_path,
        f"  clip:\n    attachments: [c.mp4]\n    publish_at: {ahead}\n"
        f"  text:\n    message: soon\n    publish_at: {ahead}\n",
        {"c.mp4": MP4},
    )
    plan = _video_plan(_lock(tmp_path), pages, can=SCHEDULING, now=now)
    pushed = [(a.kind, a.address.key, a.schedule) for a in plan.actions]
    assert pushed == [(ActionKind.PUSH, "text", at)]
    states = {s.address.key: s.state.value for s in plan.timeline}
    assert states == {"clip": "waiting", "text": "scheduled"}


def test_a_lost_upload_is_uploaded_again_and_says_a_copy_may_remain(
    tmp_path: Path,
) -> None:
    pages = project(
        tmp_path, "  a:\n    attachments: [x.png]\n", {"x.png": image_bytes()}
    )
    lock = _lock(tmp_path)
    key = next(iter(load(pages).pages[PAGE].media))
    lock.intend_upload(PAGE, "acme", key, Upload("x.png", 1_700_000_000))
    plan = make_plan(load(pages), lock.pages, {}, POSTS, media=IMAGES)
    assert plan.actions[0].kind is ActionKind.UPLOAD
    assert "unpublished copy may be left" in (plan.actions[0].note or "")


def test_the_lockfile_keeps_media_and_pending_uploads(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    lock.record_media(
        PAGE, "acme", "k1", MediaRecord("9", "image/png", 10, "x.png", ("a",))
    )
    lock.intend_upload(PAGE, "acme", "k2", Upload("y.png", 5))
    lock.save()
    again = load_lockfile(tmp_path / "statesync.lock")
    page = again.pages[PAGE]
    assert page.media == {"k1": MediaRecord("9", "image/png", 10, "x.png", ("a",))}
    assert page.uploads == {"k2": Upload("y.png", 5)}
    again.record_media(PAGE, "acme", "k1", None)
    again.intend_upload(PAGE, "acme", "k2", None)
    again.save()
    assert PAGE not in load_lockfile(tmp_path / "statesync.lock").pages


def test_loops_nul_and_endless_names_are_problems_not_tracebacks(
    tmp_path: Path,
) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    long_name = "x" * 5000
    pages = project(
        tmp_path,
        f'  p:\n    attachments:\n      - a\n      - "bad\\0name"\n      - {long_name}\n',
        {},
    )
    assert problems(pages) == [
        "pages/acme.yaml:5: attachments[0]: 'a' is a symlink loop",
        "pages/acme.yaml:6: attachments[1]: the file path holds a NUL character",
        "pages/acme.yaml:7: attachments[2]: '"
        + "x" * 57
        + "...' cannot be read (File name too long)",
    ]
