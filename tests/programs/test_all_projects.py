"""Properties every project shares: project files, provider, tags, protection, exports."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from orchestration.plan.evaluate import ProgramResult
from shared import aws_types as t
from shared import naming, topology
from shared.paths import PROJECTS_DIR
from shared.project_config import config_keys
from shared.settings import EnvironmentSettings
from tests.programs.programs_support import AWS_PROVIDER, PROJECTS, aws_resources

Evaluate = Callable[[str, str], ProgramResult]
# What production protects from deletion: the key and the buckets, nothing else.
PROTECTED_TYPES = {t.KMS_KEY, t.BUCKET}
# Types that carry an EC2 `Name` tag (the console shows nothing useful without it).
NAMED_EC2_TYPES = (
    t.VPC,
    t.SUBNET,
    t.INTERNET_GATEWAY,
    t.ROUTE_TABLE,
    t.SECURITY_GROUP,
    t.INSTANCE,
    # Its tags reach every instance it launches.
    t.AUTOSCALING_GROUP,
)


@pytest.mark.parametrize("project", PROJECTS)
def test_project_file_uses_the_repo_environment_and_no_default_provider(project: str) -> None:
    project_file = yaml.safe_load((PROJECTS_DIR / project / "Pulumi.yaml").read_text())
    assert project_file["name"] == project
    assert project_file["runtime"]["name"] == "python"
    virtualenv = PROJECTS_DIR / project / project_file["runtime"]["options"]["virtualenv"]
    assert virtualenv.resolve() == (Path(__file__).parents[2] / ".venv").resolve()
    assert project_file["config"]["pulumi:disable-default-providers"] == ["aws"]


@pytest.mark.parametrize("project", PROJECTS)
def test_stack_files_hold_only_this_projects_knobs(project: str, environment: str) -> None:
    stack_file = PROJECTS_DIR / project / f"Pulumi.{environment}.yaml"
    keys = set(yaml.safe_load(stack_file.read_text())["config"])
    assert keys <= {f"{project}:{knob}" for knob in config_keys(project)}


@pytest.mark.parametrize("project", PROJECTS)
def test_exports_exactly_the_contract(project: str, environment: str, evaluate: Evaluate) -> None:
    result = evaluate(project, environment)
    assert set(result.outputs) == set(topology.TOPOLOGY.project(project).exports)
    # Empty only where the environment has no such thing: production's instances belong to its
    # Auto Scaling group, development launches from no template and keeps no log bucket.
    empty = {key for key, value in result.outputs.items() if value in (None, "", [])}
    expected = set()
    if project == topology.COMPUTE:
        expected = {
            topology.INSTANCE_IDS if environment == "production" else topology.LAUNCH_TEMPLATE_ID
        }
    if project == topology.STORAGE and environment != "production":
        expected = {topology.LOG_BUCKET_NAME}
    assert empty == expected


@pytest.mark.parametrize("project", PROJECTS)
def test_every_aws_resource_uses_the_one_shared_provider(
    project: str, environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = evaluate(project, environment)
    (provider,) = result.of_type(AWS_PROVIDER)
    assert provider.name == naming.logical_name(env_settings, "aws")
    assert provider.inputs["region"] == env_settings.region
    default_tags = json.loads(provider.inputs["defaultTags"])["tags"]
    assert default_tags == naming.tags(env_settings, project)
    resources = list(aws_resources(result))
    # Only a project that exports nothing yet (one invoke new-project just added) may be empty.
    assert resources or not topology.TOPOLOGY.project(project).exports
    strays = [r.name for r in resources if r.provider != provider.urn]
    assert not strays, f"not on the shared provider: {strays}"


@pytest.mark.parametrize("project", PROJECTS)
def test_only_production_protects_and_only_the_data(
    project: str, environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = evaluate(project, environment)
    protected = {r.type for r in result.resources if r.protect}
    data = [r for r in result.resources if r.type in PROTECTED_TYPES]
    if env_settings.production:
        assert protected <= PROTECTED_TYPES
        assert all(r.protect for r in data)
    else:
        assert protected == set()
    assert not any(r.retain_on_delete for r in result.resources)


@pytest.mark.parametrize("project", PROJECTS)
def test_ec2_resources_carry_a_name_tag_and_all_tags_are_valid(
    project: str, environment: str, evaluate: Evaluate
) -> None:
    result = evaluate(project, environment)
    for resource in aws_resources(result):
        tags = resource.inputs.get("tags", {})
        if isinstance(tags, list):  # an Auto Scaling group's tags: {key, value, propagateAtLaunch}
            assert all(tag["propagateAtLaunch"] is True for tag in tags), resource.name
            tags = {tag["key"]: tag["value"] for tag in tags}
        for key, value in tags.items():
            naming.check_tag(key, value)
        if resource.type in NAMED_EC2_TYPES:
            assert tags.get("Name"), f"{resource.name} has no Name tag"


@pytest.mark.parametrize("project", PROJECTS)
def test_names_come_from_the_environment(
    project: str, environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    prefix = f"{env_settings.app}-{environment}"
    result = evaluate(project, environment)
    for resource in result.resources:
        if resource.type.startswith(("aws:", "webapp:", AWS_PROVIDER)):
            assert resource.name.startswith(prefix), resource.name
