"""deploy/compose.yaml checked against a schema of the Compose file format (the part of the
Compose Specification the file may use, written here from the specification's field
list): a misspelt key, a wrong type or an unknown restart policy fails here, where no
`docker compose` is installed to run `docker compose config`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

COMPOSE = Path(__file__).resolve().parent.parent / "deploy" / "compose.yaml"

STRINGS = {"type": "array", "items": {"type": "string"}}
# `${NAME}`, `${NAME:-default}`: interpolated by Compose from the environment or .env
VAR = r"\$\{[A-Z_][A-Z0-9_]*(:?-[^}]*)?\}"
# [host address:][host port:]container port[/protocol], any part interpolated
PORT = rf"^(({VAR}|[0-9.]+):)?(({VAR}|\d+):)?({VAR}|\d+)(/(tcp|udp))?$"
COUNT = {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": f"^{VAR}$"}]}
STRING_OR_LIST = {"oneOf": [{"type": "string"}, STRINGS]}
DURATION = {"type": "string", "pattern": r"^(\d+(\.\d+)?(us|ms|s|m|h))+$"}
ENVIRONMENT = {
    "oneOf": [
        {
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
        },
        STRINGS,
    ]
}
HEALTHCHECK = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "test": STRING_OR_LIST,
        "interval": DURATION,
        "timeout": DURATION,
        "retries": {"type": "integer", "minimum": 0},
        "start_period": DURATION,
        "start_interval": DURATION,
        "disable": {"type": "boolean"},
    },
}
SERVICE = {
    "type": "object",
    "additionalProperties": False,
    "patternProperties": {"^x-": {}},
    "properties": {
        "build": {
            "oneOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "context": {"type": "string"},
                        "dockerfile": {"type": "string"},
                        "target": {"type": "string"},
                        "args": ENVIRONMENT,
                    },
                },
            ]
        },
        "image": {"type": "string"},
        "command": STRING_OR_LIST,
        "entrypoint": STRING_OR_LIST,
        "environment": ENVIRONMENT,
        "env_file": STRING_OR_LIST,
        "ports": {"type": "array", "items": {"type": "string", "pattern": PORT}},
        "expose": {"type": "array", "items": {"type": ["string", "integer"]}},
        "volumes": STRINGS,
        "restart": {"enum": ["no", "always", "on-failure", "unless-stopped"]},
        "init": {"type": "boolean"},
        "user": {"type": "string"},
        "read_only": {"type": "boolean"},
        "stop_grace_period": DURATION,
        "stop_signal": {"type": "string"},
        "healthcheck": HEALTHCHECK,
        "profiles": STRINGS,
        "depends_on": {
            "oneOf": [
                STRINGS,
                {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["condition"],
                        "properties": {
                            "condition": {
                                "enum": [
                                    "service_started",
                                    "service_healthy",
                                    "service_completed_successfully",
                                ]
                            },
                            "restart": {"type": "boolean"},
                            "required": {"type": "boolean"},
                        },
                    },
                },
            ]
        },
        "deploy": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "replicas": COUNT,
                "resources": {"type": "object"},
                "restart_policy": {"type": "object"},
            },
        },
        "logging": {"type": "object"},
        "networks": {"type": ["array", "object"]},
        "tmpfs": STRING_OR_LIST,
        "cap_drop": STRINGS,
        "security_opt": STRINGS,
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "patternProperties": {"^x-": {}},
    "required": ["services"],
    "properties": {
        "name": {"type": "string"},
        "services": {"type": "object", "additionalProperties": SERVICE, "minProperties": 1},
        "volumes": {"type": "object", "additionalProperties": {"type": ["object", "null"]}},
        "networks": {"type": "object"},
        "secrets": {"type": "object"},
        "configs": {"type": "object"},
    },
}


def load() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))  # merge keys (<<) resolved
    assert isinstance(data, dict)
    return data


def test_compose_file_follows_the_compose_schema() -> None:
    jsonschema.validate(load(), SCHEMA)


def test_every_named_volume_and_dependency_is_declared() -> None:
    data = load()
    services, volumes = data["services"], set(data.get("volumes") or {})
    for name, service in services.items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if not source.startswith((".", "/", "$")):
                assert source in volumes, (name, source)
        assert set(service.get("depends_on") or {}) <= set(services), name


@pytest.mark.parametrize(
    "broken",
    [
        {"services": {"bot": {"image": "x", "healtcheck": {}}}},  # misspelt key
        {"services": {"bot": {"image": "x", "restart": "sometimes"}}},
        {"services": {"bot": {"image": "x", "deploy": {"replicas": "two"}}}},
        {"services": {"bot": {"image": "x", "ports": ["8787:eighty"]}}},
        {"services": {"bot": {"image": "x", "healthcheck": {"interval": "10 seconds"}}}},
        {"services": {"bot": {"depends_on": {"db": {"condition": "service_ready"}}}}},
        {"service": {}},
    ],
)
def test_the_schema_refuses_what_compose_would(broken: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)
