"""WandbSettings: parsing, validation, key resolution, and the key kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from tune_wandb import WandbSettings

KEY = "k" * 40


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "wandb.key"
    path.write_text(f"\n{KEY}\n")
    return path


class TestParsing:
    def test_own_keys_become_fields_and_the_rest_goes_to_wandb_init(self) -> None:
        """Documented keys are fields; every other key is kept for wandb.init()."""
        s = WandbSettings.from_config(
            {"project": "p", "group": "g", "excludes": ["a"], "log_config": True, "tags": ["x"]}
        )
        assert (s.project, s.group, s.excludes, s.log_config) == ("p", "g", ("a",), True)
        assert s.init_kwargs == {"tags": ["x"]}

    def test_none_gives_defaults(self) -> None:
        """No "wandb" key at all is the default settings."""
        assert WandbSettings.from_config(None) == WandbSettings()

    def test_tune_set_keys_may_be_overridden(self) -> None:
        """id, name and group, which Tune fills in, can be set on purpose."""
        s = WandbSettings.from_config({"id": "myid", "name": "n", "group": "g"})
        assert s.init_kwargs == {"id": "myid", "name": "n"}
        assert s.group == "g"

    def test_trial_config_overrides_defaults(self) -> None:
        """A trial's "wandb" keys override the logger's defaults, the rest is kept."""
        base = WandbSettings.from_config({"project": "base", "tags": ["t"], "excludes": ["x"]})
        s = base.merged({"project": "trial"})
        assert (s.project, s.init_kwargs, s.excludes) == ("trial", {"tags": ["t"]}, ("x",))


class TestErrors:
    def test_unknown_key_names_it_and_the_nearest_valid_one(self) -> None:
        """A typo fails with the key and a suggestion."""
        with pytest.raises(ValueError, match=r"'projekt'.*Did you mean 'project'"):
            WandbSettings.from_config({"projekt": "x"})

    def test_unknown_key_near_a_wandb_init_parameter(self) -> None:
        """Suggestions cover wandb.init()'s own parameters too."""
        with pytest.raises(ValueError, match=r"Did you mean 'entity'"):
            WandbSettings.from_config({"entiti": "me"})

    def test_both_key_sources(self, key_file: Path) -> None:
        """api_key together with api_key_file is refused."""
        with pytest.raises(ValueError, match="both 'api_key' and 'api_key_file'"):
            WandbSettings.from_config({"api_key": KEY, "api_key_file": str(key_file)})

    def test_missing_key_file_names_the_path(self, tmp_path: Path) -> None:
        """A key file that does not exist is named in the error."""
        missing = tmp_path / "nope.key"
        with pytest.raises(ValueError, match=r"nope\.key.*does not exist"):
            WandbSettings.from_config({"api_key_file": str(missing)})

    def test_empty_key_file_names_the_path(self, tmp_path: Path) -> None:
        """An empty key file is named in the error."""
        empty = tmp_path / "empty.key"
        empty.write_text("\n  \n")
        with pytest.raises(ValueError, match=r"empty\.key.*is empty"):
            WandbSettings.from_config({"api_key_file": str(empty)})

    def test_unreadable_key_file_names_the_path(self, tmp_path: Path) -> None:
        """A key file that cannot be read (here: a folder) is named in the error."""
        with pytest.raises(ValueError, match=r"cannot be read"):
            WandbSettings.from_config({"api_key_file": str(tmp_path)})

    @pytest.mark.parametrize(
        ("config", "message"),
        [
            ({"excludes": "loss"}, "must be a list of metric names"),
            ({"excludes": [1]}, "as strings"),
            ({"log_config": "yes"}, "must be True or False"),
            ({"project": 3}, "must be a string"),
            ({"init_timeout": 0}, "positive number of seconds"),
            ({"mode": "sometimes"}, "must be one of"),
            ({"reinit": "create_new"}, "managed by tune-wandb"),
        ],
    )
    def test_wrong_types_name_the_setting(self, config: dict[str, object], message: str) -> None:
        """Each wrong value names the setting and what it should be."""
        with pytest.raises(ValueError, match=message):
            WandbSettings.from_config(config)

    def test_not_a_mapping(self) -> None:
        """config['wandb'] must be a dict."""
        with pytest.raises(ValueError, match="must be a dict"):
            WandbSettings.from_config(["project"])  # type: ignore[arg-type]  # the wrong type is the test

    def test_online_without_any_key_says_where_to_put_one(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Online mode with no key anywhere fails and names every place a key can come from."""
        monkeypatch.setenv("WANDB_MODE", "online")
        with pytest.raises(ValueError, match=r"api_key_file.*WANDB_API_KEY.*wandb login"):
            WandbSettings.from_config({"project": "p"}).validate()

    def test_no_project(self) -> None:
        """A missing project is an error naming both ways to set it."""
        with pytest.raises(ValueError, match="WANDB_PROJECT"):
            WandbSettings.from_config({}).validate()


class TestKeys:
    def test_offline_needs_no_key(self) -> None:
        """Offline (the test environment) resolves to no key and no error."""
        assert WandbSettings.from_config({"project": "p"}).resolved_api_key() is None

    @pytest.fixture
    def online(self, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
        monkeypatch.setenv("WANDB_MODE", "online")
        return monkeypatch

    def test_resolution_order(
        self, online: pytest.MonkeyPatch, key_file: Path, tmp_path: Path
    ) -> None:
        """api_key, then api_key_file, then WANDB_API_KEY, then wandb login's netrc."""
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine api.wandb.ai\n  login user\n  password {'n' * 40}\n")
        online.setenv("NETRC", str(netrc))
        assert WandbSettings().resolved_api_key() == "n" * 40
        online.setenv("WANDB_API_KEY", "e" * 40)
        assert WandbSettings().resolved_api_key() == "e" * 40
        assert WandbSettings(api_key_file=str(key_file)).resolved_api_key() == KEY
        assert WandbSettings(api_key="a" * 40).resolved_api_key() == "a" * 40

    def test_project_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """WANDB_PROJECT stands in for a missing project setting."""
        monkeypatch.setenv("WANDB_PROJECT", "from-env")
        assert WandbSettings().resolved_project() == "from-env"
        assert WandbSettings(project="set").resolved_project() == "set"

    def test_key_is_never_in_repr_str_or_errors(self) -> None:
        """The literal key appears in neither repr, str, nor a validation error."""
        s = WandbSettings.from_config({"api_key": KEY, "project": "p"})
        assert KEY not in repr(s)
        assert KEY not in str(s)
        assert KEY not in str(s.without_secrets())
        with pytest.raises(ValueError, match="projekt") as info:
            WandbSettings.from_config({"api_key": KEY, "projekt": "p"})
        assert KEY not in str(info.value)


def test_readme_documents_every_setting() -> None:
    """The README's settings table lists exactly WandbSettings' fields, with their defaults."""
    import re

    import attrs

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    table = readme.split("## Settings reference", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| [^|]*(?:\\\|[^|]*)* \| `([^`]*)` \|", table, re.MULTILINE)
    documented = dict(rows)
    fields = {f.name: f for f in attrs.fields(WandbSettings)}
    assert set(documented) == set(fields)
    defaults = WandbSettings()
    for name, text in documented.items():
        value = getattr(defaults, name)
        expected = (
            {(): "[]", None: "None"}.get(value, repr(value))
            if not isinstance(value, dict)
            else "{}"
        )
        assert text == expected, (name, text, expected)
