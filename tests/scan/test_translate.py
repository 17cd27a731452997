"""The offline plan as Terraform plan JSON: sections, names, values, references."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from orchestration.plan.cli import TERRAFORM_PLAN_JSON, run_plan
from orchestration.plan.environment import EnvironmentPlan, PlanError, PlannedProgram, StackPlan
from orchestration.scan.translate import terraform_plan
from program.policy import UNKNOWN, Resource
from shared import aws_types as t
from shared.settings import EnvironmentSettings
from tests.contract_values import contract_exports
from tests.topology_roles import ALL, LEAF, MIDDLE


def planned(document: Mapping[str, Any], address: str) -> dict[str, Any]:
    for module in document["planned_values"]["root_module"]["child_modules"]:
        for resource in module["resources"]:
            if resource["address"] == address:
                return resource  # type: ignore[no-any-return]
    raise KeyError(address)


def change(document: Mapping[str, Any], address: str) -> dict[str, Any]:
    return next(c for c in document["resource_changes"] if c["address"] == address)


def expressions(document: Mapping[str, Any], address: str) -> dict[str, Any]:
    module, _, local = address.removeprefix("module.").partition(".")
    resources = document["configuration"]["root_module"]["module_calls"][module]["module"]
    return next(r for r in resources["resources"] if r["address"] == local)["expressions"]


@pytest.fixture(scope="module")
def production(production_plan: EnvironmentPlan) -> dict[str, Any]:
    return terraform_plan(production_plan)


@pytest.fixture(scope="module")
def development_document(development_plan: EnvironmentPlan) -> dict[str, Any]:
    return terraform_plan(development_plan)


def refs(address: str, attribute: str = "id") -> dict[str, list[str]]:
    local = address.split(".", 2)[2]
    return {"references": [f"{local}.{attribute}", local]}


DATA = "module.storage.aws_s3_bucket.webapp-production-data"
# Development's one instance; production's web servers are its launch template's.
INSTANCE = "module.compute.aws_instance.webapp-development-web-us-west-2a-1"
TEMPLATE = "module.compute.aws_launch_template.webapp-production-web"


def test_every_aws_resource_is_in_the_three_sections_in_its_projects_module(
    production_plan: EnvironmentPlan, production: dict[str, Any]
) -> None:
    modules = production["planned_values"]["root_module"]["child_modules"]
    aws = [
        (s.project, r) for s in production_plan.stacks for r in s.resources if r.type[:4] == "aws:"
    ]

    assert production["terraform_version"]
    assert [m["address"] for m in modules] == [f"module.{name}" for name in ALL]
    origins = production["pulumi"]["resources"]
    assert sorted((o["project"], o["name"], o["type"]) for o in origins.values()) == sorted(
        (project, r.name, r.type) for project, r in aws
    )
    for address, origin in origins.items():
        assert address.startswith(f"module.{origin['project']}.")
        assert change(production, address)["change"]["actions"] == ["create"]
        assert isinstance(expressions(production, address), dict)
    assert len(production["resource_changes"]) == len(aws)
    assert production["configuration"]["provider_config"]["aws"]["expressions"] == {
        "region": {"constant_value": "us-west-2"}
    }


def test_values_are_terraforms_names_blocks_maps_policies_and_numbers(
    production: dict[str, Any], development_document: dict[str, Any]
) -> None:
    encryption = planned(
        production,
        "module.storage.aws_s3_bucket_server_side_encryption_configuration."
        "webapp-production-data-encryption",
    )["values"]
    instance = planned(development_document, INSTANCE)["values"]
    policy = planned(
        production, "module.storage.aws_s3_bucket_policy.webapp-production-data-policy"
    )["values"]["policy"]

    (rule,) = encryption["rule"]
    (default,) = rule["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == "aws:kms"
    assert rule["bucket_key_enabled"] is True
    (options,) = instance["metadata_options"]
    assert options["http_tokens"] == "required"
    assert options["http_put_response_hop_limit"] == 1
    assert type(options["http_put_response_hop_limit"]) is int
    assert instance["root_block_device"][0]["encrypted"] is True
    assert instance["tags"] == {"Name": "webapp-development-web-us-west-2a-1"}
    (template_options,) = planned(production, TEMPLATE)["values"]["metadata_options"]
    assert template_options["http_tokens"] == "required"
    assert isinstance(policy, str)
    assert json.loads(policy)["Statement"][0]["Condition"]["Bool"] == {
        "aws:SecureTransport": "false"
    }


def test_a_side_resource_refers_to_its_bucket_as_terraform_plans_it(
    production: dict[str, Any],
) -> None:
    address = (
        "module.storage.aws_s3_bucket_public_access_block.webapp-production-data-public-access"
    )

    assert "bucket" not in planned(production, address)["values"]
    assert change(production, address)["change"]["after_unknown"] == {"bucket": True}
    assert expressions(production, address)["bucket"] == refs(DATA)
    assert expressions(production, address)["block_public_acls"] == {"constant_value": True}


def test_references_inside_blocks_and_lists_name_the_id_or_arn_used(
    production: dict[str, Any], development_document: dict[str, Any]
) -> None:
    listener = "module.compute.aws_lb_listener.webapp-production-web-lb-http"
    group = "module.compute.aws_lb_target_group.webapp-production-web-tg"
    security_group = "module.compute.aws_security_group.webapp-development-web"
    profile = "module.compute.aws_iam_instance_profile.webapp-development-web"

    (action,) = expressions(production, listener)["default_action"]
    assert action == {"type": {"constant_value": "forward"}, "target_group_arn": refs(group, "arn")}
    assert planned(production, listener)["values"]["default_action"] == [{"type": "forward"}]
    assert change(production, listener)["change"]["after_unknown"]["default_action"] == [
        {"target_group_arn": True}
    ]
    assert expressions(development_document, INSTANCE)["vpc_security_group_ids"] == refs(
        security_group
    )
    assert expressions(development_document, INSTANCE)["iam_instance_profile"] == refs(profile)
    assert "vpc_security_group_ids" not in planned(development_document, INSTANCE)["values"]
    # Production's launch template: the same references, inside its blocks.
    template = expressions(production, TEMPLATE)
    (interface,) = template["network_interfaces"]
    assert interface["security_groups"] == refs(security_group.replace("development", "production"))
    (template_profile,) = template["iam_instance_profile"]
    assert template_profile["name"] == refs(profile.replace("development", "production"))


def test_a_value_embedding_another_resource_stays_known_and_records_the_reference(
    production: dict[str, Any],
) -> None:
    address = "module.storage.aws_s3_bucket_policy.webapp-production-data-policy"

    assert DATA.split(".", 2)[2] in expressions(production, address)["policy"]["references"]
    assert "arn:aws:s3:::webapp-production-data" in planned(production, address)["values"]["policy"]


def test_values_read_from_another_stack_stay_known(
    production: dict[str, Any], development_document: dict[str, Any]
) -> None:
    # The security key reaches the servers through a StackReference: not a Terraform reference.
    (device,) = expressions(development_document, INSTANCE)["root_block_device"]
    assert device["kms_key_id"]["constant_value"].startswith("arn:aws:kms:us-west-2:")
    (mapping,) = expressions(production, TEMPLATE)["block_device_mappings"]
    (ebs,) = mapping["ebs"]
    assert ebs["kms_key_id"]["constant_value"].startswith("arn:aws:kms:us-west-2:")


def _stack(*resources: Resource, project: str = "storage") -> EnvironmentPlan:
    stack = StackPlan(
        project=project,
        stack=f"organization/{project}/development",
        resources=resources,
        outputs={},
    )
    return EnvironmentPlan("development", (stack,), ())


def test_names_are_made_valid_terraform_names_and_unique() -> None:
    document = terraform_plan(
        _stack(
            Resource(t.BUCKET, "odd name/with:chars", urn="urn:1"),
            Resource(t.BUCKET, "1st", urn="urn:2"),
            Resource(t.BUCKET, "twin", urn="urn:3"),
            Resource(t.BUCKET, "twin", urn="urn:4", parent="urn:elsewhere"),
            Resource("pulumi:providers:aws", "provider", {"region": "us-west-2"}, urn="urn:5"),
        )
    )

    assert {
        address: origin["urn"] for address, origin in document["pulumi"]["resources"].items()
    } == {
        "module.storage.aws_s3_bucket.odd_name_with_chars": "urn:1",
        "module.storage.aws_s3_bucket._1st": "urn:2",
        "module.storage.aws_s3_bucket.twin": "urn:3",
        "module.storage.aws_s3_bucket.twin-2": "urn:4",
    }


def test_names_are_unique_across_modules() -> None:
    # Checkov caches IAM policy verdicts by file, type and name: modules must not share one.
    first, second = (
        StackPlan(p, p, (Resource(t.IAM_POLICY, "app", urn=f"urn:{p}"),), {})
        for p in (MIDDLE, LEAF)
    )
    document = terraform_plan(EnvironmentPlan("development", (first, second), ()))

    assert sorted(document["pulumi"]["resources"]) == sorted(
        [f"module.{LEAF}.aws_iam_policy.app-2", f"module.{MIDDLE}.aws_iam_policy.app"]
    )


def test_unknown_values_are_unknown_until_apply() -> None:
    document = terraform_plan(
        _stack(Resource(t.BUCKET_VERSIONING, "v", {"bucket": UNKNOWN, "expectedBucketOwner": "1"}))
    )
    address = "module.storage.aws_s3_bucket_versioning.v"

    assert planned(document, address)["values"] == {"expected_bucket_owner": "1"}
    assert change(document, address)["change"]["after_unknown"] == {"bucket": True}
    assert expressions(document, address)["bucket"] == {}


def test_without_dependency_records_ids_are_matched_by_value_never_names_or_tags() -> None:
    # A rule test's hand-built stack: no dependencies, so values decide.
    document = terraform_plan(
        _stack(
            Resource(t.BUCKET, "b", {"bucket": "data"}, urn="urn:b", id="data"),
            Resource(t.IAM_ROLE, "web", {"name": "web"}, urn="urn:r", id="role-id"),
            Resource(
                t.BUCKET_PUBLIC_ACCESS_BLOCK,
                "pab",
                {"bucket": "data", "tags": {"owner": "data"}},
                urn="urn:p",
            ),
            Resource(t.IAM_INSTANCE_PROFILE, "p", {"role": "web"}, urn="urn:i"),
        )
    )

    pab = expressions(document, "module.storage.aws_s3_bucket_public_access_block.pab")
    assert pab["bucket"] == {"references": ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]}
    assert pab["tags"] == {"constant_value": {"owner": "data"}}
    profile = expressions(document, "module.storage.aws_iam_instance_profile.p")
    assert profile["role"] == {"constant_value": "web"}


def test_an_auto_scaling_groups_tags_are_tag_blocks_and_instance_tags_a_map() -> None:
    tags = [{"key": "Name", "value": "web", "propagateAtLaunch": True}]
    document = terraform_plan(
        _stack(
            Resource(t.AUTOSCALING_GROUP, "asg", {"tags": tags}, urn="urn:a"),
            Resource(t.INSTANCE, "i", {"tags": {"propagateAtLaunch": "x"}}, urn="urn:i"),
        )
    )

    assert planned(document, "module.storage.aws_autoscaling_group.asg")["values"] == {
        "tag": [{"key": "Name", "value": "web", "propagate_at_launch": True}]
    }
    assert planned(document, "module.storage.aws_instance.i")["values"] == {
        "tags": {"propagateAtLaunch": "x"}
    }


def test_nested_maps_never_hold_references_and_nested_lists_can() -> None:
    document = terraform_plan(
        _stack(
            Resource(t.SECURITY_GROUP, "sg", urn="urn:sg", id="sg-1"),
            Resource(
                t.INSTANCE,
                "i",
                {
                    "rootBlockDevice": {"tags": {"group": "sg-1"}, "volumeSize": 8.0},
                    "securityGroups": [["sg-1"], ["x"]],
                },
                urn="urn:i",
            ),
        )
    )
    address = "module.storage.aws_instance.i"

    assert planned(document, address)["values"] == {
        "root_block_device": [{"tags": {"group": "sg-1"}, "volume_size": 8}]
    }
    assert expressions(document, address)["security_groups"] == {
        "references": ["aws_security_group.sg.id", "aws_security_group.sg"]
    }


def test_the_plan_task_writes_terraform_plan_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "plan.tf.json"

    assert (
        run_plan("development", project="security", fmt=TERRAFORM_PLAN_JSON, output=str(target))
        == 0
    )

    document = json.loads(target.read_text())
    assert "module.security.aws_kms_key.webapp-development-key" in document["pulumi"]["resources"]
    assert f"Terraform plan JSON written to {target}" in capsys.readouterr().out


def test_terraform_plan_json_on_stdout_is_only_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()

    run_plan(
        "development",
        project="security",
        fmt=TERRAFORM_PLAN_JSON,
        json_path=str(tmp_path / "plan.json"),
        out=out,
    )

    assert json.loads(out.getvalue())["format_version"] == "1.2"
    assert "JSON plan written to" in capsys.readouterr().err


def test_a_type_the_table_lacks_is_one_plan_error(development: EnvironmentSettings) -> None:
    def evaluate(project: str, *_: object) -> PlannedProgram:
        # Exports what the topology declares: the plan itself is fine, the translation is not.
        outputs = contract_exports(project)
        return PlannedProgram([Resource("aws:foo/bar:Bar", "x")], outputs)

    with pytest.raises(PlanError, match=r"does not know the Pulumi type 'aws:foo/bar:Bar'"):
        run_plan(
            "development",
            project="security",
            fmt=TERRAFORM_PLAN_JSON,
            settings=development,
            evaluate_program=evaluate,
            out=io.StringIO(),
        )
