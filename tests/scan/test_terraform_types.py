"""The type table and the attribute names: complete for the programs, true to pulumi-aws."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from functools import cache
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from orchestration.plan.environment import EnvironmentPlan
from orchestration.scan.terraform_types import (
    RENAMED_ATTRIBUTES,
    TERRAFORM_TYPES,
    UnmappedType,
    attribute_name,
    snake_case,
    terraform_type,
)
from shared import aws_types as t
from shared.paths import REPO_ROOT

PROGRAM_DIR = REPO_ROOT / "program"


@cache
def _token_of(module: str, class_name: str) -> str | None:
    """The type token a pulumi_aws resource class registers, read from its source."""
    resource_class = getattr(importlib.import_module(f"pulumi_aws.{module}"), class_name, None)
    if not (inspect.isclass(resource_class) and issubclass(resource_class, pulumi.CustomResource)):
        return None
    found = re.search(r"__init__\(\s*'(aws:[^']+)'", inspect.getsource(resource_class))
    return found.group(1) if found else None


def _created_classes(path: Path) -> set[tuple[str, str]]:
    """(service, class) of every `aws.<service>.<Class>(...)` call in a module."""
    calls = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Attribute)
            and isinstance(node.func.value.value, ast.Name)
            and node.func.value.value.id == "aws"
        ):
            calls.add((node.func.value.attr, node.func.attr))
    return calls


def test_every_type_the_shipped_plans_hold_is_in_the_table(
    development_plan: EnvironmentPlan, production_plan: EnvironmentPlan
) -> None:
    used = {
        resource.type
        for plan in (development_plan, production_plan)
        for stack in plan.stacks
        for resource in stack.resources
        if t.is_aws_resource(resource.type)
    }

    assert used, "the plans hold no AWS resource"
    assert used - set(TERRAFORM_TYPES) == set()


def test_every_resource_the_program_code_creates_is_in_the_table() -> None:
    # Reads the code, so a resource a knob creates only in some configuration is covered too.
    created = {
        token
        for path in PROGRAM_DIR.rglob("*.py")
        for module, name in _created_classes(path)
        if (token := _token_of(module, name)) is not None
    }

    assert t.BUCKET in created, "the code scan found no resource; has the import style changed?"
    assert created - set(TERRAFORM_TYPES) == set()


@pytest.mark.parametrize("token", sorted(TERRAFORM_TYPES))
def test_every_token_in_the_table_is_a_pulumi_aws_type(token: str) -> None:
    _, path, class_name = token.split(":")
    assert _token_of(path.partition("/")[0], class_name) == token


def test_a_type_the_table_lacks_is_refused_saying_where_to_add_it() -> None:
    with pytest.raises(UnmappedType, match=r"'aws:foo/bar:Bar'.*TYPES in shared/aws_types"):
        terraform_type("aws:foo/bar:Bar")
    assert terraform_type(t.LOAD_BALANCER) == "aws_lb"


@pytest.mark.parametrize(
    ("pulumi_name", "terraform_name"),
    [
        ("bucket", "bucket"),
        ("kmsMasterKeyId", "kms_master_key_id"),
        ("httpPutResponseHopLimit", "http_put_response_hop_limit"),
        ("cidrIpv4", "cidr_ipv4"),
        ("ipv6CidrBlock", "ipv6_cidr_block"),
        ("enableHttp2", "enable_http2"),
        ("mapPublicIpOnLaunch", "map_public_ip_on_launch"),
    ],
)
def test_names_are_terraforms_snake_case(pulumi_name: str, terraform_name: str) -> None:
    assert snake_case(pulumi_name) == terraform_name


def test_blocks_the_bridge_pluralised_get_terraforms_name_back_for_their_type_only() -> None:
    assert attribute_name("aws_lb_listener", "defaultActions") == "default_action"
    assert attribute_name("aws_s3_bucket_lifecycle_configuration", "rules") == "rule"
    assert attribute_name("aws_autoscaling_group", "tags") == "tag"
    # Elsewhere the same names are plain snake_case.
    assert attribute_name("aws_instance", "tags") == "tags"
    assert attribute_name("aws_wafv2_web_acl_association", "rules") == "rules"


def _python_names(terraform: str) -> str:
    """The source of every pulumi_aws module holding a type that maps to `terraform`."""
    services = {
        token.split(":")[1].split("/")[0]
        for token, tf in TERRAFORM_TYPES.items()
        if tf == terraform
    }
    package = Path(aws.__file__).parent
    return "".join(
        path.read_text(encoding="utf-8")
        for service in services
        for path in (package / service).glob("*.py")
    )


@pytest.mark.parametrize("terraform", sorted(RENAMED_ATTRIBUTES))
def test_every_renamed_attribute_is_a_pulumi_aws_property_of_that_type(terraform: str) -> None:
    source = _python_names(terraform)
    assert source, f"{terraform} is not a type of the table"
    for pulumi_name in RENAMED_ATTRIBUTES[terraform]:
        assert f"def {snake_case(pulumi_name)}(self)" in source, (terraform, pulumi_name)
