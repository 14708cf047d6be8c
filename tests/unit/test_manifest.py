"""Manifests: valid ones load into ``Desired``; every invalid one fails with FILE:LINE."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statesync.errors import ConfigError, Location, ManifestError
from statesync.manifest import load_desired
from statesync.manifest_check import MAX_MESSAGE_LENGTH
from statesync.model import Address, PostFields

CASES = Path(__file__).parent.parent / "cases" / "invalid"
EXPECT = "# expect: "

VALID = """\
page: "104510075301234"
name: Acme Coffee
posts:
  spring-menu:
    message: |
      Our spring menu is here!
    link: https://acme.example/spring
  opening-hours:
    message: New opening hours from Monday.
    attachments: ["10213097336001811", 10213097336001812]
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


def problems_of(pages: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_desired(pages, display_base=pages)
    return str(caught.value).splitlines()


# -- the invalid cases: one tiny manifest (or directory of them) per failure --------


def _case_ids() -> list[str]:
    return sorted(
        path.name for path in CASES.iterdir() if path.suffix == ".yaml" or path.is_dir()
    )


def _expected(files: list[Path]) -> list[str]:
    expected: list[tuple[Location, str]] = []
    for path in files:
        for line in path.read_text().splitlines():
            if not line.startswith(EXPECT):
                continue
            number, message = line.removeprefix(EXPECT).split(": ", 1)
            expected.append((Location(path.name, int(number)), message))
    return [f"{location}: {message}" for location, message in sorted(expected)]


@pytest.mark.parametrize("case", _case_ids())
def test_invalid_case(case: str, tmp_path: Path) -> None:
    source = CASES / case
    files = sorted(source.iterdir()) if source.is_dir() else [source]
    pages = tmp_path / "pages"
    pages.mkdir()
    for path in files:
        shutil.copy(path, pages / path.name)
    expected = _expected(files)
    assert expected, f"{case} has no '# expect:' line"
    assert problems_of(pages) == expected


def test_every_case_file_is_parametrized() -> None:
    assert len(_case_ids()) >= 40


# -- valid manifests ------------------------------------------------------------


def test_load_valid_manifest(tmp_path: Path) -> None:
    write(tmp_path, "acme-coffee.yaml", VALID)
    desired = load_desired(tmp_path, display_base=tmp_path)
    page = desired.pages["104510075301234"]
    assert page.name == "Acme Coffee"
    assert page.stem == "acme-coffee"
    assert page.location == Location("acme-coffee.yaml", 1)
    assert list(page.posts) == ["spring-menu", "opening-hours"]
    spring = page.posts["spring-menu"]
    assert spring.address == Address("acme-coffee", "spring-menu")
    assert spring.page_id == "104510075301234"
    assert spring.location == Location("acme-coffee.yaml", 4)
    assert spring.fields == PostFields(
        message="Our spring menu is here!\n", link="https://acme.example/spring"
    )
    hours = page.posts["opening-hours"]
    # an unquoted media id is read from its digits, never through int
    assert hours.fields.attachments == ("10213097336001811", "10213097336001812")


def test_unquoted_page_id_keeps_its_digits(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "page: 0104510075301234\nposts: {}\n")
    desired = load_desired(tmp_path)
    assert list(desired.pages) == ["0104510075301234"]  # not YAML 1.1 octal


def test_page_with_no_posts_and_no_name(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", 'page: "1"\nposts: {}\n')
    page = load_desired(tmp_path).pages["1"]
    assert page.name is None
    assert dict(page.posts) == {}


def test_yml_files_and_sorted_order(tmp_path: Path) -> None:
    write(tmp_path, "b.yml", 'page: "2"\nposts: {}\n')
    write(tmp_path, "a.yaml", 'page: "1"\nposts: {}\n')
    write(tmp_path, "notes.txt", "not a manifest")
    write(tmp_path, ".#a.yaml", "an editor's lock file")
    desired = load_desired(tmp_path)
    assert [page.stem for page in desired.pages.values()] == ["a", "b"]


def test_message_at_the_limit_is_accepted(tmp_path: Path) -> None:
    message = "x" * MAX_MESSAGE_LENGTH
    write(tmp_path, "a.yaml", f'page: "1"\nposts:\n  k:\n    message: {message}\n')
    post = load_desired(tmp_path).pages["1"].posts["k"]
    assert post.fields.message == message


def test_aliases_are_followed(tmp_path: Path) -> None:
    text = (
        'page: "1"\nposts:\n  a:\n    message: &shared Hello\n'
        "  b:\n    message: *shared\n"
    )
    write(tmp_path, "a.yaml", text)
    posts = load_desired(tmp_path).pages["1"].posts
    assert posts["b"].fields.message == "Hello"


def test_dates_and_keywords_as_post_keys(tmp_path: Path) -> None:
    text = 'page: "1"\nposts:\n  2024-05-01:\n    message: a\n  on:\n    message: b\n'
    write(tmp_path, "a.yaml", text)
    assert list(load_desired(tmp_path).pages["1"].posts) == ["2024-05-01", "on"]


# -- errors across files and the directory itself --------------------------------


def test_all_errors_of_all_files_at_once(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", 'page: "1"\nposts:\n  k:\n    mesage: x\n')
    write(tmp_path, "b.yaml", "page: [\n")
    assert problems_of(tmp_path) == [
        "a.yaml:4: unknown field 'mesage': did you mean 'message'?",
        "b.yaml:1: invalid YAML: while parsing a flow node, did not find expected "
        "node content",
    ]


def test_duplicate_page_is_found_even_in_a_broken_first_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", 'page: "1"\nposts:\n  k: {}\n')
    write(tmp_path, "b.yaml", 'name: B\npage: "1"\nposts: {}\n')
    assert problems_of(tmp_path) == [
        "a.yaml:3: post 'k' has no content: set message, link or attachments",
        "b.yaml:2: page 1 is already managed by a.yaml:1",
    ]


def test_file_names_relative_to_display_base(tmp_path: Path) -> None:
    pages = tmp_path / "project" / "pages"
    write(pages, "a.yaml", "page: x\nposts: {}\n")
    with pytest.raises(ManifestError) as caught:
        load_desired(pages, display_base=tmp_path / "project")
    assert str(caught.value).startswith("pages/a.yaml:1: page must be")


def test_file_names_outside_display_base_stay_as_given(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    write(pages, "a.yaml", "page: x\nposts: {}\n")
    with pytest.raises(ManifestError) as caught:
        load_desired(pages, display_base=tmp_path / "elsewhere")
    assert str(caught.value).startswith(f"{pages / 'a.yaml'}:1: ")


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b'page: "1"\nname: caf\xe9\nposts: {}\n')
    assert problems_of(tmp_path) == ["a.yaml:2: not UTF-8 text"]


def test_token_is_never_echoed(tmp_path: Path) -> None:
    token = "EAAGm0PX4ZCpsBA" + "q" * 30
    write(tmp_path, "a.yaml", f"page: {token}\nposts:\n  k:\n    link: {token}\n")
    text = "\n".join(problems_of(tmp_path))
    assert token not in text
    assert "a.yaml:1: this looks like a Graph access token" in text


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_desired(tmp_path / "pages")


def test_directory_is_a_file(tmp_path: Path) -> None:
    write(tmp_path, "pages", "")
    with pytest.raises(ConfigError, match="is not a directory"):
        load_desired(tmp_path / "pages")


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no manifests in"):
        load_desired(tmp_path)


# -- fuzzing: any text either loads or fails as a ManifestError -------------------

_FRAGMENTS = [
    "page:",
    ' "104510075301234"',
    " 104510075301234",
    "posts:",
    "  k:",
    "    message:",
    "    link:",
    "    attachments:",
    " [1, 2]",
    " https://acme.example/",
    " {}",
    " []",
    " &a",
    " *a",
    " !!binary",
    " <<:",
    "- ",
    "\n",
    "\t",
    ": ",
    "'",
    '"',
    "[",
    "{",
    "#",
    "---",
    "?",
    "|",
    ">",
    " null",
    " EAAGm0PX4ZCpsBAbcdefghijklmnopq",
]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.lists(st.sampled_from(_FRAGMENTS), max_size=40).map("".join),
        st.builds(
            lambda cut, insert: VALID[:cut] + insert + VALID[cut:],
            st.integers(0, len(VALID)),
            st.text(max_size=8),
        ),
    )
)
def test_any_text_loads_or_raises_manifest_error(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    pages = tmp_path_factory.mktemp("fuzz")
    (pages / "fuzz.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    with contextlib.suppress(ManifestError):  # anything else fails the test
        load_desired(pages)
