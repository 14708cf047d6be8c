"""A token pasted anywhere into statesync.yaml or a manifest is reported at its line
and repeated by no message: not as a key, a wrong value, a tag or a duplicate."""

from __future__ import annotations

from pathlib import Path

import pytest

from statesync.config import load_config
from statesync.errors import ConfigError, ManifestError
from statesync.manifest import load_desired

TOKEN = "EAAGm0PX4ZCpsBA" + "q7" * 15
SECRET_LINE = (
    "this looks like a Graph access token: secrets come from the environment, "
    "never from YAML"
)


def _config_problems(root: Path, text: str) -> list[str]:
    (root / "statesync.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(root, display_base=root)
    return str(caught.value).splitlines()


def _manifest_problems(root: Path, text: str) -> list[str]:
    (root / "pages").mkdir()
    (root / "pages" / "acme.yaml").write_text(text)
    with pytest.raises(ManifestError) as caught:
        load_desired(root / "pages", display_base=root)
    return str(caught.value).splitlines()


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            f"provider: {TOKEN}\n",
            [
                "1: provider must be 'graph' or 'oneall', got a string (not shown: "
                "it looks like a secret)",
            ],
        ),
        (
            f"graph:\n  api_version: {TOKEN}\n",
            [
                "2: graph.api_version must look like v26.0, got a string (not "
                "shown: it looks like a secret)"
            ],
        ),
        (
            f"oneall:\n  site: https://{TOKEN}.api.oneall.com\n",
            [],  # a valid site; the scan alone speaks
        ),
        (
            f"oneall:\n  site: {TOKEN}\n",
            [
                "2: oneall.site must be the https:// URL of the OneAll site "
                "(https://acme.api.oneall.com), got a string (not shown: it looks "
                "like a secret)"
            ],
        ),
        (f"{TOKEN}: 1\ngraph:\n  {TOKEN}x: 2\n", []),  # unknown keys, not repeated
        (
            f"a: !!int {TOKEN}\n",
            [
                "1: a value (not shown: it looks like a secret) is not a valid !!int",
                "1: unknown setting 'a': expected one of 'provider', 'manifests', "
                "'lockfile', 'sandbox', 'timezone', 'graph', 'oneall', "
                "'safety', 'retries'",
            ],
        ),
        (
            f"provider: !{TOKEN} graph\n",
            ["1: unsupported YAML tag (not shown: it looks like a secret)"],
        ),
        (
            f"{TOKEN}: 1\n{TOKEN}: 2\n",
            ["2: duplicate key (not shown: it looks like a secret), first at line 1"],
        ),
    ],
)
def test_statesync_yaml_never_repeats_a_token(
    tmp_path: Path, text: str, problems: list[str]
) -> None:
    shown = _config_problems(tmp_path, text)
    secret_lines = [number for number, line in _lines(text) if TOKEN in line]
    expected = sorted(
        [f"statesync.yaml:{p}" for p in problems]
        + [f"statesync.yaml:{line}: {SECRET_LINE}" for line in secret_lines],
        key=_order,
    )
    assert shown == expected
    assert TOKEN not in "\n".join(shown)


def test_a_manifest_never_repeats_a_token(tmp_path: Path) -> None:
    shown = _manifest_problems(
        tmp_path,
        f'page: "1"\n{TOKEN}: 1\nposts:\n'
        f"  {TOKEN}:\n    message: hi\n    {TOKEN}: 2\n"
        f'  "bad key {TOKEN}": {{}}\n'
        f"  ok:\n    link: {TOKEN}\n    attachments: [{TOKEN}]\n",
    )
    assert shown == [
        f"pages/acme.yaml:{line}: {SECRET_LINE}" for line in (2, 4, 6, 7)
    ] + [
        "pages/acme.yaml:9: link must be an absolute http:// or https:// URL with a "
        "host, got a string (not shown: it looks like a secret)",
        f"pages/acme.yaml:9: {SECRET_LINE}",
        "pages/acme.yaml:10: attachments[0] must be a file path or a media id, "
        "got a string (not shown: it looks like a secret)",
        f"pages/acme.yaml:10: {SECRET_LINE}",
    ]
    assert TOKEN not in "\n".join(shown)


def _lines(text: str) -> list[tuple[int, str]]:
    return list(enumerate(text.splitlines(), start=1))


def _order(problem: str) -> tuple[int, str]:
    _, line, message = problem.split(":", 2)
    return (int(line), message)
