"""Helpers for the program tests: contract-made upstream outputs, cached evaluations, lookups.

Evaluations are cached per (project, environment) for the session: a program run is pure
(same inputs, same result) and each test only reads the result.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from orchestration.plan.evaluate import ProgramResult, RegisteredResource, evaluate_program
from shared import aws_types as t
from shared import naming, topology
from shared.settings import EnvironmentSettings
from tests.contract_values import ACCOUNT as PLACEHOLDER_ACCOUNT
from tests.contract_values import contract_value

ENVIRONMENTS = ("development", "production")
PROJECTS = topology.TOPOLOGY.names
AWS_PROVIDER = "pulumi:providers:aws"
SECURITY_GROUP = t.SECURITY_GROUP
REGION = "us-west-2"
ACCOUNT = PLACEHOLDER_ACCOUNT


def contract_upstream(project: str, environment: str) -> dict[str, dict[str, str]]:
    """Exactly the outputs `project`'s contract says it reads, per producer project."""
    spec = topology.TOPOLOGY.project(project)
    return {
        producer: {key: contract_value(key, environment) for key in keys}
        for producer, keys in spec.requires.items()
    }


@cache
def evaluated(project: str, environment: str) -> ProgramResult:
    return evaluate_program(project, environment, upstream=contract_upstream(project, environment))


def aws_resources(result: ProgramResult) -> Iterator[RegisteredResource]:
    """The resources the AWS provider manages (not providers, components or references)."""
    return (resource for resource in result.resources if resource.type.startswith("aws:"))


def group(result: ProgramResult, settings: EnvironmentSettings, role: str) -> RegisteredResource:
    """The security group made from `naming.security_group_name_prefix(settings, role)`."""
    prefix = naming.security_group_name_prefix(settings, role)
    (found,) = [sg for sg in result.of_type(SECURITY_GROUP) if sg.inputs["namePrefix"] == prefix]
    return found


def rules_of(result: ProgramResult, type_: str, sg: RegisteredResource) -> list[RegisteredResource]:
    """The ingress or egress rule resources of one security group."""
    return [rule for rule in result.of_type(type_) if rule.inputs["securityGroupId"] == sg.id]


def only(result: ProgramResult, type_: str) -> RegisteredResource:
    """The one resource of a type; fails if there are none or several."""
    found = result.of_type(type_)
    assert len(found) == 1, f"expected one {type_}, found {[r.name for r in found]}"
    return found[0]


def document(resource: RegisteredResource, prop: str = "policy") -> dict[str, Any]:
    """A JSON policy document property, parsed."""
    value = resource.inputs[prop]
    assert isinstance(value, str), f"{resource.name}.{prop} is not a JSON string"
    parsed = json.loads(value)
    assert isinstance(parsed, dict)
    return parsed


def statements(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = policy["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
