"""The compute project: own network, closed security groups, hardened instances, ALB in prod."""

from __future__ import annotations

import base64
import gzip
import re
from collections.abc import Callable

import pytest

from orchestration.plan.evaluate import ProgramResult, RegisteredResource, evaluate_program
from orchestration.plan.placeholders import PLACEHOLDER_AMI_ID
from orchestration.plan.program_config import stack_config
from program.components.web_servers import placements
from program.webapp.app import HEALTH_PATH
from program.webapp.user_data import APP_FILE
from projects.compute.config import ComputeConfig
from projects.compute.config import read_config as compute_config
from shared import aws_types as t
from shared import naming, topology
from shared.config_reading import ProjectConfigError
from shared.settings import EnvironmentSettings
from tests.programs.programs_support import (
    REGION,
    as_list,
    contract_upstream,
    contract_value,
    document,
    group,
    only,
    rules_of,
    statements,
)

Evaluate = Callable[[str, str], ProgramResult]
VPC = t.VPC
SUBNET = t.SUBNET
ROUTE = t.ROUTE
GATEWAY = t.INTERNET_GATEWAY
ROUTE_ASSOCIATION = t.ROUTE_TABLE_ASSOCIATION
DEFAULT_SG = t.DEFAULT_SECURITY_GROUP
SG = t.SECURITY_GROUP
INGRESS = t.SECURITY_GROUP_INGRESS_RULE
EGRESS = t.SECURITY_GROUP_EGRESS_RULE
INSTANCE = t.INSTANCE
ROLE = t.IAM_ROLE
ROLE_POLICY = t.IAM_ROLE_POLICY
ATTACHMENT = t.IAM_ROLE_POLICY_ATTACHMENT
PROFILE = t.IAM_INSTANCE_PROFILE
BALANCER = t.LOAD_BALANCER
TARGET_GROUP = t.TARGET_GROUP
TARGET_ATTACHMENT = t.TARGET_GROUP_ATTACHMENT
LISTENER = t.LISTENER
LAUNCH_TEMPLATE = t.LAUNCH_TEMPLATE
AUTOSCALING_GROUP = t.AUTOSCALING_GROUP
ANYWHERE = "0.0.0.0/0"
# From each Pulumi.<env>.yaml.
INSTANCES = {"development": 1, "production": 2}


def compute(evaluate: Evaluate, environment: str) -> ProgramResult:
    return evaluate(topology.COMPUTE, environment)


def subnets(result: ProgramResult, kind: str) -> list[RegisteredResource]:
    """The public or the private subnets (named `<network>-<kind>-<zone>`)."""
    return [subnet for subnet in result.of_type(SUBNET) if f"-{kind}-" in subnet.name]


def user_data(launcher: RegisteredResource) -> str:
    """What an instance boots with: its own user data, or its launch template's (base64)."""
    if launcher.type == LAUNCH_TEMPLATE:
        return base64.b64decode(launcher.inputs["userData"]).decode()
    text = launcher.inputs["userData"]
    assert isinstance(text, str)
    return text


def launchers(result: ProgramResult) -> list[RegisteredResource]:
    """Where the web servers' settings live: development's instance, production's template."""
    found = [*result.of_type(INSTANCE), *result.of_type(LAUNCH_TEMPLATE)]
    assert found
    return found


def test_own_vpc_with_public_subnets_in_two_zones_of_the_region(
    environment: str, evaluate: Evaluate
) -> None:
    result = compute(evaluate, environment)
    vpc = only(result, VPC)
    public = subnets(result, "public")
    zones = sorted(subnet.inputs["availabilityZone"] for subnet in public)
    assert zones == [f"{REGION}a", f"{REGION}b"]
    assert all(subnet.inputs["vpcId"] == vpc.id for subnet in public)
    assert all(subnet.inputs["mapPublicIpOnLaunch"] is False for subnet in public)
    assert all(subnet.name.endswith(subnet.inputs["availabilityZone"]) for subnet in public)
    route = only(result, ROUTE)
    assert route.inputs["destinationCidrBlock"] == ANYWHERE
    assert route.inputs["gatewayId"] == only(result, GATEWAY).id
    default_group = only(result, DEFAULT_SG)
    assert default_group.inputs.get("ingress", []) == []
    assert default_group.inputs.get("egress", []) == []


def test_public_resources_wait_for_the_internet_gateway_and_its_routes(
    environment: str, evaluate: Evaluate
) -> None:
    # AWS refuses an internet-facing load balancer in a VPC whose gateway is not attached yet,
    # and an instance launched before its subnet routes to the gateway boots offline.
    result = compute(evaluate, environment)
    needed = {only(result, GATEWAY).urn, only(result, ROUTE).urn}
    needed |= {
        association.urn
        for association in result.of_type(ROUTE_ASSOCIATION)
        if "-public-" in association.name
    }
    assert len(needed) == 4
    # Production's servers are private (test_compute_private_network.py: they wait for the
    # VPC endpoints instead).
    public = [*result.of_type(BALANCER), *result.of_type(INSTANCE)]
    assert public
    for resource in public:
        assert needed <= set(resource.dependencies), resource.name


def test_no_rule_opens_ssh_rdp_and_anywhere_only_reaches_web_ports(
    environment: str, evaluate: Evaluate
) -> None:
    result = compute(evaluate, environment)
    ingress = result.of_type(INGRESS)
    assert ingress
    for rule in ingress:
        low, high = rule.inputs["fromPort"], rule.inputs["toPort"]
        assert rule.inputs["ipProtocol"] == "tcp"
        assert not any(low <= port <= high for port in (22, 3389)), rule.name
        if rule.inputs.get("cidrIpv4") == ANYWHERE:
            assert low == high
            assert low in (80, 443)
    assert not any(sg.inputs.get("ingress") for sg in result.of_type(SG))


def test_development_exposes_the_one_instance_on_the_web_port_from_the_allowed_ranges(
    development: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = compute(evaluate, "development")
    config = compute_config(development, _stack_knobs("development"))
    web = group(result, development, "web")
    ingress = rules_of(result, INGRESS, web)
    assert {rule.inputs["cidrIpv4"] for rule in ingress} == set(config.allowed_cidrs)
    assert {(r.inputs["fromPort"], r.inputs["toPort"]) for r in ingress} == {(80, 80)}
    assert result.of_type(BALANCER) == []
    (instance,) = result.of_type(INSTANCE)
    assert result.outputs[topology.APP_URL] == f"http://{instance.outputs['publicDns']}"


def test_production_instances_are_reachable_only_from_the_load_balancer(
    production: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = compute(evaluate, "production")
    web, lb = group(result, production, "web"), group(result, production, "lb")
    (from_lb,) = rules_of(result, INGRESS, web)
    assert from_lb.inputs["referencedSecurityGroupId"] == lb.id
    assert "cidrIpv4" not in from_lb.inputs
    lb_in = rules_of(result, INGRESS, lb)
    assert {(r.inputs["fromPort"], r.inputs["cidrIpv4"]) for r in lb_in} == {(80, ANYWHERE)}
    (lb_out,) = rules_of(result, EGRESS, lb)
    assert lb_out.inputs["cidrIpv4"] == only(result, VPC).inputs["cidrBlock"]


def test_web_servers_may_only_send_https(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = compute(evaluate, environment)
    rules = rules_of(result, EGRESS, group(result, env_settings, "web"))
    # Development: HTTPS anywhere; production: HTTPS to the endpoints and S3's prefix list.
    assert len(rules) == (2 if env_settings.production else 1)
    for egress in rules:
        assert (egress.inputs["fromPort"], egress.inputs["toPort"]) == (443, 443)


def test_the_development_instance_requires_imdsv2_and_encrypts_with_the_upstream_key(
    evaluate: Evaluate,
) -> None:
    key_arn = contract_value(topology.KMS_KEY_ARN, "development")
    (instance,) = compute(evaluate, "development").of_type(INSTANCE)
    metadata = instance.inputs["metadataOptions"]
    assert metadata["httpTokens"] == "required"
    assert metadata["httpPutResponseHopLimit"] == 1
    assert metadata["httpEndpoint"] == "enabled"
    root = instance.inputs["rootBlockDevice"]
    assert root["encrypted"] is True
    assert root["kmsKeyId"] == key_arn
    assert instance.inputs["ami"] == PLACEHOLDER_AMI_ID
    assert "keyName" not in instance.inputs


def test_production_launch_template_requires_imdsv2_and_encrypts_with_the_upstream_key(
    production: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = compute(evaluate, "production")
    assert result.of_type(INSTANCE) == []  # the Auto Scaling group launches them
    template = only(result, LAUNCH_TEMPLATE)
    metadata = template.inputs["metadataOptions"]
    assert (metadata["httpTokens"], metadata["httpPutResponseHopLimit"]) == ("required", 1)
    assert metadata["httpEndpoint"] == "enabled"
    (root,) = template.inputs["blockDeviceMappings"]
    assert root["deviceName"] == "/dev/xvda"
    assert root["ebs"] == {
        "encrypted": "true",
        "kmsKeyId": contract_value(topology.KMS_KEY_ARN, "production"),
        "volumeType": "gp3",
        "volumeSize": 8,
        "deleteOnTermination": "true",
    }
    assert template.inputs["imageId"] == PLACEHOLDER_AMI_ID
    assert "keyName" not in template.inputs
    (interface,) = template.inputs["networkInterfaces"]
    assert interface["securityGroups"] == [group(result, production, "web").id]
    assert template.inputs["namePrefix"] == "webapp-production-web-"
    assert template.inputs["updateDefaultVersion"] is True


def test_production_monitors_in_detail_and_nothing_is_protected_from_termination(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    # An instance with termination protection can be neither replaced nor destroyed.
    for launcher in launchers(compute(evaluate, environment)):
        assert "disableApiTermination" not in launcher.inputs
        monitoring = launcher.inputs["monitoring"]
        enabled = monitoring["enabled"] if isinstance(monitoring, dict) else monitoring
        assert enabled is env_settings.production


def test_production_runs_an_auto_scaling_group_that_rolls_its_instances(
    production: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = compute(evaluate, "production")
    fleet = only(result, AUTOSCALING_GROUP)
    template = only(result, LAUNCH_TEMPLATE)
    assert set(fleet.inputs["vpcZoneIdentifiers"]) == {s.id for s in subnets(result, "private")}
    capacity = INSTANCES["production"]
    assert (fleet.inputs["minSize"], fleet.inputs["desiredCapacity"]) == (capacity, capacity)
    assert fleet.inputs["targetGroupArns"] == [only(result, TARGET_GROUP).id]
    assert fleet.inputs["healthCheckType"] == "ELB"
    # A numbered version, not $Latest: a new version is a change, and a change starts a refresh
    # that keeps at least half the capacity healthy.
    assert fleet.inputs["launchTemplate"] == {"id": template.id, "version": "1"}
    assert fleet.inputs["instanceRefresh"] == {
        "strategy": "Rolling",
        "preferences": {"minHealthyPercentage": 50},
    }
    assert fleet.inputs["namePrefix"] == "webapp-production-web-"
    tags = {tag["key"]: tag["value"] for tag in fleet.inputs["tags"]}
    assert tags == {**naming.tags(production, "web"), "Name": "webapp-production-web"}


def test_user_data_carries_the_settings_and_rolls_the_instances_when_they_change(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    for launcher in launchers(compute(evaluate, environment)):
        text = user_data(launcher)
        debug = "true" if env_settings.debug else "false"
        assert re.search(rf"^DEBUG={debug}$", text, re.MULTILINE)
        assert re.search(rf"^LOG_LEVEL={env_settings.log_level}$", text, re.MULTILINE)
        assert re.search(rf"^ENVIRONMENT={environment}$", text, re.MULTILINE)
        assert contract_value(topology.BUCKET_NAME, environment) in text
        if launcher.type == INSTANCE:
            # Development replaces its one instance; production's group refreshes its fleet.
            assert launcher.inputs["userDataReplaceOnChange"] is True


def test_production_user_data_never_turns_debug_on(evaluate: Evaluate) -> None:
    for launcher in launchers(compute(evaluate, "production")):
        text = user_data(launcher)
        assert re.findall(r"DEBUG=(\w+)", text) == ["false"]


def test_user_data_installs_the_repositorys_app(evaluate: Evaluate) -> None:
    (instance,) = compute(evaluate, "development").of_type(INSTANCE)
    blob = re.search(
        r"<<'WEBAPP_SOURCE'[^\n]*\n(.*?)^WEBAPP_SOURCE$", user_data(instance), re.S | re.M
    )
    assert blob is not None
    source = gzip.decompress(base64.b64decode(blob.group(1))).decode()
    assert source == APP_FILE.read_text()


def test_instance_role_is_least_privilege_on_this_bucket_and_key(
    environment: str, evaluate: Evaluate
) -> None:
    result = compute(evaluate, environment)
    key_arn = contract_value(topology.KMS_KEY_ARN, environment)
    bucket_arn = contract_value(topology.BUCKET_ARN, environment)
    (app_policy,) = [p for p in result.of_type(ROLE_POLICY) if p.name.endswith("-web-app")]
    policy = document(app_policy)
    resources = set()
    for statement in statements(policy):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            assert action != "*"
            assert not action.endswith(":*")
        resources.update(as_list(statement["Resource"]))
    assert resources == {f"{bucket_arn}/*", key_arn}
    # What SSE-KMS objects need, and nothing for the root volume: EBS uses the key with the
    # launcher's permissions and grants, never the instance role's.
    key_actions = {
        a for s in statements(policy) if s["Resource"] == key_arn for a in as_list(s["Action"])
    }
    assert key_actions == {"kms:Decrypt", "kms:GenerateDataKey"}
    (role,) = [r for r in result.of_type(ROLE) if r.name.endswith("-web")]
    trust = statements(document(role, "assumeRolePolicy"))
    assert [s["Principal"] for s in trust] == [{"Service": "ec2.amazonaws.com"}]
    attachment = only(result, ATTACHMENT)
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    profile = only(result, PROFILE)
    for launcher in launchers(result):
        given = launcher.inputs["iamInstanceProfile"]
        assert (given["name"] if isinstance(given, dict) else given) == profile.inputs["name"]


def test_production_load_balancer_forwards_to_the_groups_target_group(
    production: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = compute(evaluate, "production")
    balancer = only(result, BALANCER)
    assert balancer.inputs["internal"] is False
    assert balancer.inputs["dropInvalidHeaderFields"] is True
    assert set(balancer.inputs["subnets"]) == {s.id for s in subnets(result, "public")}
    assert balancer.inputs["securityGroups"] == [group(result, production, "lb").id]
    targets = only(result, TARGET_GROUP)
    assert targets.inputs["healthCheck"]["path"] == HEALTH_PATH
    assert targets.inputs["healthCheck"]["matcher"] == "200"
    listener = only(result, LISTENER)
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    (action,) = listener.inputs["defaultActions"]
    assert action == {"type": "forward", "targetGroupArn": targets.id}
    # The group registers its instances itself: no attachment to go stale on a roll.
    assert result.of_type(TARGET_ATTACHMENT) == []
    assert only(result, AUTOSCALING_GROUP).inputs["targetGroupArns"] == [targets.id]
    assert result.outputs[topology.APP_URL] == f"http://{balancer.outputs['dnsName']}"
    for name in (balancer.outputs["name"], targets.outputs["name"]):
        assert len(name) <= 32


def test_replaceable_resources_aws_names_uniquely_get_no_fixed_name(
    environment: str, evaluate: Evaluate
) -> None:
    # Pulumi replaces by creating the new resource first: a fixed name would collide with the
    # old one (InvalidGroup.Duplicate, DuplicateTargetGroupName, DuplicateLoadBalancerName).
    result = compute(evaluate, environment)
    named = [*result.of_type(SG), *result.of_type(BALANCER), *result.of_type(TARGET_GROUP)]
    assert named
    for resource in named:
        assert "name" not in resource.inputs, resource.name
    for sg in result.of_type(SG):
        assert sg.inputs["namePrefix"].endswith("-")
    for resource in [*result.of_type(BALANCER), *result.of_type(TARGET_GROUP)]:
        # Pulumi auto-names these from the logical name, which leaves room for its suffix.
        assert len(resource.name) <= 32 - 8


def test_exports_point_at_what_was_built(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = compute(evaluate, environment)
    assert result.outputs[topology.VPC_ID] == only(result, VPC).id
    assert result.outputs[topology.SECURITY_GROUP_ID] == group(result, env_settings, "web").id
    assert sorted(result.outputs[topology.INSTANCE_IDS]) == sorted(
        i.id for i in result.of_type(INSTANCE)
    )
    templates = result.of_type(LAUNCH_TEMPLATE)
    assert result.outputs[topology.LAUNCH_TEMPLATE_ID] == (templates[0].id if templates else "")


def test_more_instances_only_add_names_never_rename() -> None:
    zones = ["us-west-2a", "us-west-2b"]
    two, five = placements(zones, 2), placements(zones, 5)
    assert five[:2] == two
    assert [suffix for _, suffix in five] == [
        "us-west-2a-1",
        "us-west-2b-1",
        "us-west-2a-2",
        "us-west-2b-2",
        "us-west-2a-3",
    ]


def test_production_needs_two_instances(production: EnvironmentSettings) -> None:
    knobs = {"allowedCidrs": '["0.0.0.0/0"]', "instanceCount": "1"}
    with pytest.raises(ProjectConfigError, match=r"compute:instanceCount is 1.*at least 2"):
        compute_config(production, knobs.get)


def test_production_keeps_its_flow_logs_a_year(production: EnvironmentSettings) -> None:
    knobs = {
        "allowedCidrs": '["0.0.0.0/0"]',
        "instanceCount": "2",
        "image": "latest",
        "flowLogRetentionDays": "180",
    }
    with pytest.raises(
        ProjectConfigError, match=r"compute:flowLogRetentionDays is 180, but production.*365"
    ):
        compute_config(production, knobs.get)
    assert compute_config(production, {**knobs, "flowLogRetentionDays": "400"}.get)


def test_development_serves_exactly_one_instance(development: EnvironmentSettings) -> None:
    knobs = {"allowedCidrs": '["0.0.0.0/0"]', "instanceCount": "2"}
    with pytest.raises(ProjectConfigError, match=r"compute:instanceCount is 2.*one instance"):
        compute_config(development, knobs.get)


@pytest.mark.parametrize(
    ("knobs", "problem"),
    [
        ({}, r"compute:allowedCidrs is not set"),
        ({"allowedCidrs": '["10.0.0.0/33"]'}, r"not a CIDR"),
        ({"allowedCidrs": '["0.0.0.0/0"]', "webPort": "22"}, r"SSH"),
        ({"allowedCidrs": '["0.0.0.0/0"]', "webPort": "3389"}, r"RDP"),
        ({"allowedCidrs": '["0.0.0.0/0"]', "instanceType": "big"}, r"instance type"),
        ({"allowedCidrs": '["0.0.0.0/0"]', "instanceCount": "two"}, r"whole number"),
        ({"allowedCidrs": '["0.0.0.0/0"]', "vpcCidr": "10.0.0.0/28"}, r"/16 to /22"),
        (
            {"allowedCidrs": '["0.0.0.0/0"]', "flowLogRetentionDays": "100"},
            r"compute:flowLogRetentionDays.*100 is not a CloudWatch Logs retention period.*365",
        ),
    ],
)
def test_bad_compute_knobs_are_refused_with_the_key_named(
    development: EnvironmentSettings, knobs: dict[str, str], problem: str
) -> None:
    with pytest.raises(ProjectConfigError, match=problem):
        compute_config(development, knobs.get)


def test_stack_files_parse_into_the_expected_knobs(
    development: EnvironmentSettings, production: EnvironmentSettings
) -> None:
    assert compute_config(development, _stack_knobs("development")) == ComputeConfig(
        allowed_cidrs=("0.0.0.0/0",),
        instance_type="t3.micro",
        instance_count=1,
        web_port=80,
        vpc_cidr="10.10.0.0/16",
        image="latest",
        flow_log_retention_days=14,
    )
    shipped = compute_config(production, _stack_knobs("production"))
    assert shipped.instance_count == 2
    assert shipped.flow_log_retention_days == 365
    assert shipped.pinned_image is not None
    assert re.fullmatch(
        r"al2023-ami-2023\.\d+\.\d{8}\.\d+-kernel-[\d.]+-x86_64", shipped.pinned_image
    )


def test_production_must_choose_its_image_and_a_choice_is_checked(
    production: EnvironmentSettings, development: EnvironmentSettings
) -> None:
    knobs = {"allowedCidrs": '["0.0.0.0/0"]', "instanceCount": "2"}
    with pytest.raises(ProjectConfigError) as unset:
        compute_config(production, knobs.get)
    assert str(unset.value).startswith("stack 'production': compute:image is not set")
    assert "set it in projects/compute/Pulumi.production.yaml" in str(unset.value)
    # Following the latest release is a choice production may make, explicitly.
    latest = compute_config(production, {**knobs, "image": "latest"}.get)
    assert latest.pinned_image is None
    # Development follows it unless told otherwise.
    assert compute_config(development, {"allowedCidrs": '["0.0.0.0/0"]'}.get).pinned_image is None
    with pytest.raises(ProjectConfigError, match=r"compute:image 'ami-0abc' is neither 'latest'"):
        compute_config(production, {**knobs, "image": "ami-0abc"}.get)


def test_a_new_al2023_release_rolls_development_but_not_pinned_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # AWS's public parameter moves to a new image: what follows it changes, a pin does not.
    from orchestration.plan import placeholders  # noqa: PLC0415

    def evaluate(environment: str) -> ProgramResult:
        return evaluate_program(
            topology.COMPUTE, environment, upstream=contract_upstream(topology.COMPUTE, environment)
        )

    before = {env: evaluate(env) for env in ("development", "production")}
    monkeypatch.setitem(
        placeholders.FUNCTIONS,
        t.GET_SSM_PARAMETER,
        lambda args, account, region: {"id": args["name"], "value": "ami-0000000000000new1"},
    )
    after = {env: evaluate(env) for env in ("development", "production")}
    (old_instance,), (new_instance,) = (
        result.of_type(INSTANCE) for result in (before["development"], after["development"])
    )
    assert (old_instance.inputs["ami"], new_instance.inputs["ami"]) == (
        PLACEHOLDER_AMI_ID,
        "ami-0000000000000new1",
    )
    old_template, new_template = (
        only(result, LAUNCH_TEMPLATE) for result in (before["production"], after["production"])
    )
    assert new_template.inputs["imageId"] == old_template.inputs["imageId"] == PLACEHOLDER_AMI_ID


def _stack_knobs(environment: str) -> Callable[[str], str | None]:
    config = stack_config(topology.COMPUTE, environment)
    return lambda key: config.get(f"{topology.COMPUTE}:{key}")
