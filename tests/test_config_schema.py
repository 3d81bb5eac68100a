"""The JSON schema of the configuration (analyzer/oidclint/oidclint.schema.json): exactly the
keys of Config, the same verdicts as the loader on valid and invalid samples, and the README's
configuration example valid and showing every key."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import fields

import jsonschema
import pytest

from config_scans import write
from conftest import REPO
from oidclint.config import Config, ConfigError, load_config
from oidclint.engine import chosen_rules


SCHEMA_PATH = REPO / "analyzer" / "oidclint" / "oidclint.schema.json"


def _schema() -> dict:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema).check_schema(schema)
    return schema


def _valid(data: dict) -> bool:
    schema = _schema()
    return jsonschema.validators.validator_for(schema)(schema).is_valid(data)


def test_the_schema_properties_are_exactly_the_config_fields():
    names = {f.name.replace("_", "-") for f in fields(Config)} - {"path", "capped"}
    schema = _schema()
    assert set(schema["properties"]) == names
    assert schema["additionalProperties"] is False
    for name, spec in schema["properties"].items():
        assert spec.get("description"), f"{name} has no description"


VALID = [
    'disable = ["OIDC304", "stringlike-without-wildcard"]\n',
    '[severity]\nOIDC209 = "error"\nbroad-subject = "note"\n',
    'exclude = ["examples/", "**/testdata/**"]\nrepository = "acme/api"\ndefault-branch = "main"\n',
    'trusted-owners = ["acme"]\nimmutable-subjects = ["acme/api"]\n',
    'known-roles = ["arn:aws:iam::*:role/org-*", "deploy"]\nvar-files = ["envs/prod.tfvars"]\n',
    "",
]


INVALID = [
    'disabel = ["OIDC204"]\n',
    'disable = "OIDC204"\n',
    "repository = 3\n",
    '[severity]\nOIDC204 = "critical"\n',
    'severity = ["OIDC204"]\n',
    "trusted-owners = [1]\n",
    'var-files = "envs/prod.tfvars"\n',
]


@pytest.mark.parametrize("text", VALID)
def test_valid_samples_pass_the_schema_and_the_loader(tmp_path, text):
    assert _valid(tomllib.loads(text))
    load_config(write(tmp_path / ".oidclint.toml", text))


@pytest.mark.parametrize("text", INVALID)
def test_invalid_samples_fail_the_schema_and_the_loader(tmp_path, text):
    assert not _valid(tomllib.loads(text))
    with pytest.raises(ConfigError):
        load_config(write(tmp_path / ".oidclint.toml", text))


def test_the_schema_rejects_what_the_loader_leaves_to_the_rule_check():
    # The loader takes any string; the schema already knows an id or name shape.
    assert not _valid({"disable": ["Not A Rule"]})
    assert not _valid({"immutable-subjects": ["acme"]})


def test_the_schema_flags_a_limit_above_its_cap_which_the_loader_lowers():
    assert _valid({"time-budget": 30, "max-file-size": 16 * 1024 * 1024})
    assert not _valid({"time-budget": 100000})
    assert not _valid({"max-file-size": 100000000000})


def _readme_example() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- config:example -->\n```toml\n(.*?)```", readme, re.S)
    assert match, "README has no <!-- config:example --> TOML block"
    return match.group(1)


def test_the_readme_configuration_example_is_valid_and_shows_every_key(tmp_path):
    text = _readme_example()
    data = tomllib.loads(text)
    errors = list(jsonschema.validators.validator_for(_schema())(_schema()).iter_errors(data))
    assert not errors, [e.message for e in errors]
    assert set(data) == set(_schema()["properties"])
    config = load_config(write(tmp_path / ".oidclint.toml", text))
    chosen_rules(config)  # every rule it disables or re-levels exists
