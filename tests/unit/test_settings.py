"""WandbSettings: parsing and validation with no I/O, and the key kept out of reprs and errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import KEY
from tune_wandb import WandbLogger, WandbSettings
from tune_wandb._core._settings import without_settings


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
        s = WandbSettings.for_trial({"lr": 1, "wandb": {"project": "trial"}}, base=base)
        assert (s.project, s.init_kwargs, s.excludes) == ("trial", {"tags": ["t"]}, ("x",))

    def test_a_key_source_replaces_the_bases_other_source(self, key_file: Path) -> None:
        """A trial's api_key_file replaces the base's api_key (both at once would be refused)."""
        base = WandbSettings(api_key="b" * 40)
        s = WandbSettings.from_config({"api_key_file": str(key_file)}, base=base)
        assert (s.api_key, s.api_key_file) == (None, str(key_file))

    def test_parsing_reads_no_file(self, tmp_path: Path) -> None:
        """A key file is only named when parsing; it is read when a run is planned."""
        missing = tmp_path / "nope.key"
        s = WandbSettings.from_config({"api_key_file": str(missing)})
        assert s.api_key_file == str(missing)

    def test_without_settings(self) -> None:
        """without_settings drops exactly the "wandb" key."""
        assert without_settings({"a": 1, "wandb": {"project": "p"}}) == {"a": 1}


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


class TestSecrets:
    def test_key_is_never_in_repr_str_or_errors(self) -> None:
        """The literal key appears in neither repr, str, nor a validation error."""
        s = WandbSettings.from_config({"api_key": KEY, "project": "p"})
        assert KEY not in repr(s)
        assert KEY not in str(s)
        with pytest.raises(ValueError, match="projekt") as info:
            WandbSettings.from_config({"api_key": KEY, "projekt": "p"})
        assert KEY not in str(info.value)


def test_the_settings_reference_documents_every_setting() -> None:
    """The generated reference has a row per WandbSettings field: its default, where, and why."""
    import attrs

    from tests.docs_modules import settings_reference

    table = settings_reference.settings_table()
    defaults = WandbSettings()
    for field in attrs.fields(WandbSettings):
        (row,) = [line for line in table.splitlines() if line.startswith(f"| `{field.name}` |")]
        cells = [cell.strip() for cell in row.split(" | ")]
        assert cells[2] == f"`{getattr(defaults, field.name)!r}`", row
        assert cells[3], row
        assert len(cells[4]) > 20, row


def test_a_setting_without_a_comment_fails_the_reference() -> None:
    """A field added without its ``#:`` comment breaks the docs build instead of a blank row."""
    from tests.docs_modules import settings_reference

    source = settings_reference.SOURCE.read_text()
    bare = re.sub(r"(    #:.*\n)+(    api_key: )", r"\2", source)
    assert bare != source
    with pytest.raises(ValueError, match=r"WandbSettings.api_key needs a #: comment"):
        settings_reference.settings_table(bare)
    assert "The API key itself" in settings_reference.settings_table(source)


class TestDropIn:
    def test_seed_keys_run_id_and_run_name_are_id_and_name(self) -> None:
        """The page's run_id and run_name are wandb.init's id and name; both spellings clash."""
        s = WandbSettings.from_config({"project": "p", "run_id": "r1", "run_name": "n1"})
        assert (s.init_kwargs["id"], s.init_kwargs["name"]) == ("r1", "n1")
        with pytest.raises(ValueError, match="both 'run_id' and 'id'"):
            WandbSettings.from_config({"run_id": "a", "id": "b"})

    def test_a_constructor_argument_is_named_as_written(self) -> None:
        """Errors from WandbLogger(...) name the constructor, not config['wandb']."""
        with pytest.raises(ValueError, match=r"WandbLogger\(excludes=\.\.\.\) must be a list"):
            WandbLogger(excludes="loss")
        with pytest.raises(ValueError, match=r"Unknown W&B setting WandbLogger\(projekt=\.\.\.\)"):
            WandbLogger(projekt="p")
        with pytest.raises(ValueError, match=r"config\['wandb'\]\['excludes'\] must be a list"):
            WandbSettings.from_config({"excludes": "loss"})

    def test_constructor_only_arguments_in_a_trial_say_where_they_go(self) -> None:
        """experiment_run in a trial's dict points to WandbLogger(experiment_run=...)."""
        with pytest.raises(ValueError, match=r"WandbLogger\(experiment_run=\.\.\.\)"):
            WandbSettings.from_config({"experiment_run": False})

    def test_upload_checkpoints_is_a_trial_setting_with_its_choices(self) -> None:
        """upload_checkpoints in a trial's dict is a mode; a wrong one names the setting."""
        assert WandbSettings.from_config({"upload_checkpoints": True}).checkpoint_mode == "all"
        assert WandbSettings.from_config({"upload_checkpoints": "end"}).checkpoint_mode == "end"
        with pytest.raises(ValueError, match=r"\['upload_checkpoints'\]: 'sometimes' is not"):
            WandbSettings.from_config({"upload_checkpoints": "sometimes"})

    def test_save_checkpoints_is_rays_deprecated_alias(self) -> None:
        """save_checkpoints=True warns, as Ray's does, and means upload_checkpoints=True."""
        with pytest.warns(FutureWarning, match="save_checkpoints"):
            logger = WandbLogger(project="p", save_checkpoints=True)
        assert logger.upload_checkpoints is True

    def test_rays_positional_project(self) -> None:
        """WandbLoggerCallback("project") spelling: a string first argument is the project."""
        assert WandbLogger("my-project")._defaults.project == "my-project"

    def test_a_settings_instance_overrides_with_what_it_sets(self) -> None:
        """config["wandb"] as WandbSettings: its non-default fields override the base."""
        base = WandbSettings(project="base", group="g", init_kwargs={"tags": ["b"]})
        trial = WandbSettings.for_trial(
            {"wandb": WandbSettings(project="trial", excludes=("x",))}, base=base
        )
        assert (trial.project, trial.group, trial.excludes) == ("trial", "g", ("x",))
        assert trial.init_kwargs == {"tags": ["b"]}

    def test_constructor_settings_are_ours_a_project_or_wandb_inits(self) -> None:
        """A WandbSettings argument is the base, a str the project, else wandb.init's settings."""
        base = WandbSettings(project="base")
        assert WandbSettings.from_arguments(base, {"group": "g"}, source="X").project == "base"
        assert WandbSettings.from_arguments("p", {}, source="X").project == "p"
        parsed = WandbSettings.from_arguments(
            {"base_url": "http://w"}, {"project": "p"}, source="X"
        )
        assert (parsed.project, parsed.init_kwargs) == ("p", {"settings": {"base_url": "http://w"}})
