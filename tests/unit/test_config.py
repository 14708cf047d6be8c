"""statesync.yaml: defaults, every setting, and one error listing every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from statesync.config import GraphSettings, OneAllSettings, ProjectConfig, load_config
from statesync.errors import ConfigError


def write_config(root: Path, text: str) -> None:
    (root / "statesync.yaml").write_text(text)


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(root, display_base=root)
    return str(caught.value).splitlines()


def test_defaults(tmp_path: Path) -> None:
    write_config(tmp_path, "# every default\n")
    config = load_config(tmp_path)
    assert config == ProjectConfig(
        root=tmp_path,
        provider="graph",
        manifests=tmp_path / "pages",
        lockfile=tmp_path / "statesync.lock",
        sandbox=False,
        graph=GraphSettings(
            api_version="v26.0",
            token_env="FACEBOOK_ACCESS_TOKEN",
            app_secret_env="FACEBOOK_APP_SECRET",
        ),
        oneall=OneAllSettings(),
    )


def test_every_setting(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        """\
provider: oneall
manifests: content/pages/
lockfile: state/statesync.lock
sandbox: true
graph:
  api_version: v25.0
  token_env: ACME_FB_TOKEN
  app_secret_env: ACME_FB_SECRET
oneall:
  site: https://acme.api.oneall.com
  public_key_env: ACME_PUBLIC
  private_key_env: ACME_PRIVATE
  identity_token_env: ACME_IDENTITY
  read: pull
""",
    )
    config = load_config(tmp_path)
    assert config.provider == "oneall"
    assert config.manifests == tmp_path / "content" / "pages"
    assert config.lockfile == tmp_path / "state" / "statesync.lock"
    assert config.sandbox is True
    assert config.graph == GraphSettings("v25.0", "ACME_FB_TOKEN", "ACME_FB_SECRET")
    assert config.oneall == OneAllSettings(
        site="https://acme.api.oneall.com",
        public_key_env="ACME_PUBLIC",
        private_key_env="ACME_PRIVATE",
        identity_token_env="ACME_IDENTITY",
        read="pull",
    )


def test_relative_project_dir_gives_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "project").mkdir()
    write_config(tmp_path / "project", "manifests: /srv/pages\n")
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("project"))
    assert config.root == tmp_path / "project"
    assert config.manifests == Path("/srv/pages")  # absolute paths stay as written
    assert config.lockfile == tmp_path / "project" / "statesync.lock"


def test_empty_sections_mean_defaults(tmp_path: Path) -> None:
    write_config(tmp_path, "graph:\noneall:\n")
    config = load_config(tmp_path)
    assert config.graph == GraphSettings()
    assert config.oneall == OneAllSettings()


def test_missing_file_shows_an_example(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    text = str(caught.value)
    assert text.startswith(f"no statesync.yaml in {tmp_path}: ")
    assert f"Create {tmp_path / 'statesync.yaml'} with, for example:" in text
    assert "  provider: graph" in text


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="the directory does not exist either"):
        load_config(tmp_path / "nowhere")


def test_every_problem_at_once(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        """\
provider: grpah
manifests: ""
lockfile: 12
sandbox: "yes"
graph:
  api_version: "26"
  tokn_env: X
oneall:
  site: http://acme.api.oneall.com
  read: always
  public_key_env: lower-case
mystery: 1
""",
    )
    assert problems_of(tmp_path) == [
        "statesync.yaml:1: provider must be 'graph' or 'oneall', got 'grpah'",
        "statesync.yaml:2: manifests must be a path, got an empty string",
        "statesync.yaml:3: lockfile must be a string, got 12 (an integer)",
        "statesync.yaml:4: sandbox must be true or false, got a string",
        "statesync.yaml:6: graph.api_version must look like v26.0, got '26'",
        "statesync.yaml:7: unknown setting 'graph.tokn_env': did you mean "
        "'graph.token_env'?",
        "statesync.yaml:9: oneall.site must be the https:// URL of the OneAll site "
        "(https://acme.api.oneall.com), got 'http://acme.api.oneall.com'",
        "statesync.yaml:10: oneall.read must be 'auto' or 'graph' or 'pull' or "
        "'none', got 'always'",
        "statesync.yaml:11: oneall.public_key_env must name an environment variable "
        "(like ONEALL_PUBLIC_KEY), not hold a value: secrets come from the environment",
        "statesync.yaml:12: unknown setting 'mystery': expected one of 'provider', "
        "'manifests', 'lockfile', 'sandbox', 'timezone', 'graph', 'oneall', "
        "'safety', 'retries'",
    ]


def test_local_oneall_site_may_be_http(tmp_path: Path) -> None:
    write_config(tmp_path, "oneall:\n  site: http://127.0.0.1:8080\n")
    assert load_config(tmp_path).oneall.site == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[]\n", "statesync.yaml:1: statesync.yaml must be a mapping, got a list"),
        ("graph: v26.0\n", "statesync.yaml:1: graph must be a mapping, got a string"),
        (
            "provider: graph\nprovider: oneall\n",
            "statesync.yaml:2: duplicate key 'provider', first at line 1",
        ),
        (
            "provider: [\n",
            "statesync.yaml:1: invalid YAML: while parsing a flow node, did not find expected node content",
        ),
    ],
)
def test_shapes(tmp_path: Path, text: str, problem: str) -> None:
    write_config(tmp_path, text)
    assert problems_of(tmp_path) == [problem]


def test_secrets_are_refused_and_never_echoed(tmp_path: Path) -> None:
    token = "EAAGm0PX4ZCpsBA" + "z" * 30
    write_config(
        tmp_path,
        f"graph:\n  token: {token}\n  token_env: {token}\n"
        "oneall:\n  private_key: abc123secret\n  private_key_env: abc123secret\n",
    )
    problems = problems_of(tmp_path)
    assert problems == [
        "statesync.yaml:2: 'token' looks like a secret: secrets come from the "
        "environment, never from YAML; name the environment variable that holds it "
        "with token_env",
        "statesync.yaml:2: this looks like a Graph access token: secrets come from "
        "the environment, never from YAML",
        "statesync.yaml:3: this looks like a Graph access token: secrets come from "
        "the environment, never from YAML",
        "statesync.yaml:5: 'private_key' looks like a secret: secrets come from the "
        "environment, never from YAML; name the environment variable that holds it "
        "with private_key_env",
        "statesync.yaml:6: oneall.private_key_env must name an environment variable "
        "(like ONEALL_PRIVATE_KEY), not hold a value: secrets come from the environment",
    ]
    text = "\n".join(problems)
    assert token not in text
    assert "abc123secret" not in text


def test_file_name_relative_to_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "project").mkdir()
    write_config(tmp_path / "project", "sandbox: maybe\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "project")
    assert str(caught.value).startswith("project/statesync.yaml:1: sandbox must be")
