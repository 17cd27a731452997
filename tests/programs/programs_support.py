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
from orchestration.plan.placeholders import PLACEHOLDER_ACCOUNT_ID
from shared import aws_types as t
from shared import naming, topology
from shared.settings import EnvironmentSettings, load_settings

ENVIRONMENTS = ("development", "production")
PROJECTS = topology.TOPOLOGY.names
AWS_PROVIDER = "pulumi:providers:aws"
SECURITY_GROUP = t.SECURITY_GROUP
ACCOUNT = PLACEHOLDER_ACCOUNT_ID
REGION = "us-west-2"
# Upstream key ids differ per environment, so a test catches a cross-environment mix-up.
KEY_IDS = {
    "development": "0000beef-0000-4000-8000-000000000001",
    "production": "0000beef-0000-4000-8000-000000000002",
}


def contract_value(key: str, environment: str) -> str:
    """A realistic upstream value for one export key of the contract."""
    settings = load_settings(environment)
    values = {
        topology.KMS_KEY_ARN: f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_IDS[environment]}",
        topology.KMS_KEY_ID: KEY_IDS[environment],
        topology.KMS_ALIAS_NAME: naming.kms_alias(settings, "data"),
        topology.BUCKET_NAME: naming.bucket_name(settings, "data", ACCOUNT),
        topology.BUCKET_ARN: f"arn:aws:s3:::{naming.bucket_name(settings, 'data', ACCOUNT)}",
        topology.LOG_BUCKET_NAME: naming.bucket_name(settings, "logs", ACCOUNT)
        if settings.production
        else "",
    }
    return values[key]


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
