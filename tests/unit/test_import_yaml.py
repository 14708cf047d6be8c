"""Imported posts written into manifests: whatever a live post's text holds, the file
statesync writes loads back to the same content (so the plan after an import is
`No changes.`), and the text around the inserted posts is kept byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statesync.errors import ManifestError
from statesync.import_yaml import Imported, add_posts, make_key, new_manifest
from statesync.manifest import load_desired
from statesync.manifest_check import MAX_MESSAGE_LENGTH
from statesync.model import PostFields
from statesync.normalize import normalize

PAGE = "104510075301234"
HAND_WRITTEN = """\
# kept as written
page: "104510075301234"  # the page
posts:
  hours:   # by hand
    message: Open.
"""

messages = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=200,
).filter(lambda text: normalize(PostFields(message=text)).message is not None)


def load_back(tmp_path: Path, text: str) -> dict[str, PostFields]:
    pages = tmp_path / "pages"
    pages.mkdir(exist_ok=True)
    (pages / "acme.yaml").write_text(text, encoding="utf-8")
    desired = load_desired(pages, display_base=tmp_path, media_root=tmp_path)
    return {k: p.fields for k, p in desired.pages[PAGE].posts.items()}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(message=messages)
def test_any_message_loads_back_to_the_same_content(
    tmp_path: Path, message: str
) -> None:
    fields = PostFields(message=message)
    text = add_posts(new_manifest(PAGE, None), [Imported("k", f"{PAGE}_1", fields)])
    try:
        loaded = load_back(tmp_path, text)
    except ManifestError as error:  # only a text that looks like a secret may refuse
        if "secret" not in str(error):
            raise
        return
    assert normalize(loaded["k"]) == normalize(fields)


def test_links_photos_and_long_messages_load_back(tmp_path: Path) -> None:
    posts = [
        Imported("a", f"{PAGE}_1", PostFields(message="a: b\n- c\n# d", link=None)),
        Imported("b", f"{PAGE}_2", PostFields(link="https://acme.example/x?y=1#z")),
        Imported(
            "c", f"{PAGE}_3", PostFields(attachments=("0123", "10213097336001811"))
        ),
        Imported("d", f"{PAGE}_4", PostFields(message="x" * MAX_MESSAGE_LENGTH)),
        Imported("e", f"{PAGE}_5", PostFields(message="!!python/object:os.system")),
    ]
    loaded = load_back(tmp_path, add_posts(HAND_WRITTEN, posts))
    for post in posts:
        assert normalize(loaded[post.key]) == normalize(post.fields)


def test_the_hand_written_text_is_kept_byte_for_byte(tmp_path: Path) -> None:
    text = add_posts(HAND_WRITTEN, [Imported("new", f"{PAGE}_9", PostFields("Hi."))])
    assert text.startswith(HAND_WRITTEN)
    assert load_back(tmp_path, text)["hours"] == PostFields(message="Open.")


def test_flow_style_posts_become_block_style(tmp_path: Path) -> None:
    text = add_posts(
        'page: "104510075301234"\nposts: {}\n',
        [
            Imported("one", f"{PAGE}_1", PostFields("One.")),
        ],
    )
    assert "posts:\n  one:\n" in text
    assert load_back(tmp_path, text)["one"] == PostFields(message="One.")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            PostFields(message="Our spring menu is here!"),
            "2026-03-01-our-spring-menu-is-here",
        ),
        (PostFields(message="Café crème — déjà vu"), "2026-03-01-cafe-creme-deja-vu"),
        (PostFields(link="https://Acme.example/x"), "2026-03-01-acme-example"),
        (PostFields(message="!!!"), "2026-03-01-post"),
    ],
)
def test_keys_are_readable_and_unique(fields: PostFields, expected: str) -> None:
    taken: set[str] = set()
    first = make_key(fields, 1_772_366_400, taken)
    assert first == expected
    assert make_key(fields, 1_772_366_400, taken) == f"{expected}-2"


@pytest.mark.parametrize(
    "message", ["OFF", "yes", "No", "on", "1_000", "0x1F", ".inf", "~", "2026-01-01"]
)
def test_a_message_yaml_1_1_reads_as_no_text_is_quoted(
    tmp_path: Path, message: str
) -> None:
    """ruamel writes YAML 1.2, where these are text, plain; the manifests are read as
    YAML 1.1, where they are booleans, numbers, null or a date."""
    fields = PostFields(message=message)
    text = add_posts(new_manifest(PAGE, None), [Imported("k", f"{PAGE}_1", fields)])
    assert load_back(tmp_path, text)["k"] == fields
