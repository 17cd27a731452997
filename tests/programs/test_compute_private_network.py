"""The compute project's hardened network (issue 13 section 2), under Pulumi's mock runtime.

Production's web servers run in private subnets without public addresses or a route out of
the VPC, and reach S3 and Systems Manager through VPC endpoints; the load balancer stays public
and logs into the storage layer's SSE-S3 log bucket. Every VPC has flow logs into a log group
encrypted with the security layer's key. Development stays one public instance.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from orchestration.plan.evaluate import ProgramResult, RegisteredResource
from program.components.vpc_endpoints import INTERFACE_SERVICES
from shared import aws_types as t
from shared import naming, topology
from shared.aws_facts import VPC_FLOW_LOGS_SERVICE
from shared.settings import EnvironmentSettings
from tests.programs.programs_support import (
    ACCOUNT,
    REGION,
    as_list,
    contract_value,
    document,
    group,
    rules_of,
    statements,
)

Evaluate = Callable[[str, str], ProgramResult]
SUBNET = t.SUBNET
ROUTE = t.ROUTE
ROUTE_TABLE = t.ROUTE_TABLE
ROUTE_ASSOCIATION = t.ROUTE_TABLE_ASSOCIATION
ENDPOINT = t.VPC_ENDPOINT
SG = t.SECURITY_GROUP
INGRESS = t.SECURITY_GROUP_INGRESS_RULE
EGRESS = t.SECURITY_GROUP_EGRESS_RULE
LAUNCH_TEMPLATE = t.LAUNCH_TEMPLATE
AUTOSCALING_GROUP = t.AUTOSCALING_GROUP
INSTANCE = t.INSTANCE
BALANCER = t.LOAD_BALANCER
LOG_GROUP = t.LOG_GROUP
FLOW_LOG = t.FLOW_LOG
ROLE = t.IAM_ROLE
ROLE_POLICY = t.IAM_ROLE_POLICY
VPC_CIDR = {"development": "10.10.0.0/16", "production": "10.20.0.0/16"}


def compute(evaluate: Evaluate, environment: str) -> ProgramResult:
    return evaluate(topology.COMPUTE, environment)


def named(result: ProgramResult, type_: str, part: str) -> list[RegisteredResource]:
    return [resource for resource in result.of_type(type_) if part in resource.name]


# ---- production: private subnets, no way out but the endpoints -----------------------------


def test_production_has_a_private_subnet_per_zone_in_the_second_half_of_the_vpc(
    evaluate: Evaluate,
) -> None:
    result = compute(evaluate, "production")
    private = named(result, SUBNET, "-private-")
    public = named(result, SUBNET, "-public-")
    assert sorted(s.inputs["availabilityZone"] for s in private) == [f"{REGION}a", f"{REGION}b"]
    vpc = ipaddress.ip_network(VPC_CIDR["production"])
    upper_half = list(vpc.subnets(new_prefix=17))[1]
    for subnet in private:
        assert ipaddress.ip_network(subnet.inputs["cidrBlock"]).subnet_of(upper_half)
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
    # Adding the private subnets moved no public one.
    assert sorted(s.inputs["cidrBlock"] for s in public) == ["10.20.0.0/24", "10.20.1.0/24"]


def test_production_private_subnets_route_nowhere_outside_the_vpc(evaluate: Evaluate) -> None:
    result = compute(evaluate, "production")
    (table,) = named(result, ROUTE_TABLE, "-private")
    # The one route of the table is the VPC's implicit local route: no resource adds another.
    assert [r.name for r in result.of_type(ROUTE) if r.inputs["routeTableId"] == table.id] == []
    private_ids = {subnet.id for subnet in named(result, SUBNET, "-private-")}
    associated = {
        a.inputs["subnetId"]
        for a in result.of_type(ROUTE_ASSOCIATION)
        if a.inputs["routeTableId"] == table.id
    }
    assert associated == private_ids


def test_production_servers_launch_into_private_subnets_without_public_addresses(
    evaluate: Evaluate,
) -> None:
    result = compute(evaluate, "production")
    (fleet,) = result.of_type(AUTOSCALING_GROUP)
    assert set(fleet.inputs["vpcZoneIdentifiers"]) == {
        subnet.id for subnet in named(result, SUBNET, "-private-")
    }
    (template,) = result.of_type(LAUNCH_TEMPLATE)
    (interface,) = template.inputs["networkInterfaces"]
    assert interface["associatePublicIpAddress"] == "false"
    (balancer,) = result.of_type(BALANCER)
    assert set(balancer.inputs["subnets"]) == {s.id for s in named(result, SUBNET, "-public-")}
    assert balancer.inputs["internal"] is False


def test_production_reaches_s3_through_a_gateway_endpoint_fenced_to_what_it_needs(
    production: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = compute(evaluate, "production")
    (table,) = named(result, ROUTE_TABLE, "-private")
    (gateway,) = [e for e in result.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Gateway"]
    assert gateway.inputs["serviceName"] == f"com.amazonaws.{REGION}.s3"
    assert gateway.inputs["routeTableIds"] == [table.id]
    bucket_arn = contract_value(topology.BUCKET_ARN, "production")
    allowed = {
        resource: set(as_list(statement["Action"]))
        for statement in statements(document(gateway))
        for resource in as_list(statement["Resource"])
    }
    assert allowed == {
        f"{bucket_arn}/*": {"s3:GetObject", "s3:PutObject"},
        f"arn:aws:s3:::al2023-repos-{REGION}-de612dc2/*": {"s3:GetObject"},
        f"arn:aws:s3:::amazon-ssm-{REGION}/*": {"s3:GetObject"},
        f"arn:aws:s3:::amazon-ssm-packages-{REGION}/*": {"s3:GetObject"},
    }


def test_production_reaches_systems_manager_through_private_interface_endpoints(
    production: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = compute(evaluate, "production")
    interfaces = [e for e in result.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"]
    assert sorted(e.inputs["serviceName"] for e in interfaces) == sorted(
        f"com.amazonaws.{REGION}.{service}" for service in INTERFACE_SERVICES
    )
    endpoints_group = group(result, production, "endpoints")
    private_ids = {subnet.id for subnet in named(result, SUBNET, "-private-")}
    for endpoint in interfaces:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert set(endpoint.inputs["subnetIds"]) == private_ids
        assert endpoint.inputs["securityGroupIds"] == [endpoints_group.id]
    (ingress,) = rules_of(result, INGRESS, endpoints_group)
    assert (ingress.inputs["fromPort"], ingress.inputs["toPort"]) == (443, 443)
    assert ingress.inputs["cidrIpv4"] == VPC_CIDR["production"]
    assert rules_of(result, EGRESS, endpoints_group) == []


def test_production_servers_send_https_only_to_the_endpoints(
    production: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = compute(evaluate, "production")
    (gateway,) = [e for e in result.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Gateway"]
    destinations = {
        rule.inputs.get("cidrIpv4") or rule.inputs.get("prefixListId")
        for rule in rules_of(result, EGRESS, group(result, production, "web"))
        if (rule.inputs["fromPort"], rule.inputs["toPort"]) == (443, 443)
    }
    assert destinations == {VPC_CIDR["production"], gateway.outputs["prefixListId"]}
    assert "0.0.0.0/0" not in destinations


def test_production_servers_wait_for_their_way_out_before_they_boot(
    production: EnvironmentSettings, evaluate: Evaluate
) -> None:
    # A server booted before the endpoints, its subnet's route table association, or the
    # rules that let it reach them exist finds neither S3 (heartbeat, packages) nor Systems
    # Manager on its first boot.
    result = compute(evaluate, "production")
    endpoints = {endpoint.urn for endpoint in result.of_type(ENDPOINT)}
    assert len(endpoints) == 1 + len(INTERFACE_SERVICES)
    (table,) = named(result, ROUTE_TABLE, "-private")
    associations = {
        a.urn for a in result.of_type(ROUTE_ASSOCIATION) if a.inputs["routeTableId"] == table.id
    }
    web, endpoint_group = group(result, production, "web"), group(result, production, "endpoints")
    rules = {
        rule.urn
        for sg in (web, endpoint_group)
        for type_ in (INGRESS, EGRESS)
        for rule in rules_of(result, type_, sg)
    }
    (fleet,) = result.of_type(AUTOSCALING_GROUP)
    missing = (endpoints | associations | rules) - set(fleet.dependencies)
    assert not missing


def test_development_waits_for_the_rules_that_let_its_instance_out(
    development: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = compute(evaluate, "development")
    (instance,) = result.of_type(INSTANCE)
    egress = {rule.urn for rule in rules_of(result, EGRESS, group(result, development, "web"))}
    assert egress
    assert egress <= set(instance.dependencies)


def test_replaced_endpoints_go_before_their_successors_come(evaluate: Evaluate) -> None:
    # AWS refuses a second S3 gateway endpoint on one route table and a second interface
    # endpoint with the same private DNS name: create-then-delete would fail.
    endpoints = compute(evaluate, "production").of_type(ENDPOINT)
    assert endpoints
    assert all(endpoint.delete_before_replace for endpoint in endpoints)


def test_production_load_balancer_logs_into_the_storage_layers_log_bucket(
    evaluate: Evaluate,
) -> None:
    (balancer,) = compute(evaluate, "production").of_type(BALANCER)
    assert balancer.inputs["accessLogs"] == {
        "bucket": contract_value(topology.LOG_BUCKET_NAME, "production"),
        "prefix": topology.LOAD_BALANCER_LOG_PREFIX,
        "enabled": True,
    }


# ---- development: one public instance, nothing private --------------------------------------


def test_development_stays_one_public_instance_without_endpoints(evaluate: Evaluate) -> None:
    result = compute(evaluate, "development")
    assert named(result, SUBNET, "-private-") == []
    assert result.of_type(ENDPOINT) == []
    (instance,) = result.of_type(INSTANCE)
    assert instance.inputs["associatePublicIpAddress"] is True
    public = {subnet.id for subnet in named(result, SUBNET, "-public-")}
    assert instance.inputs["subnetId"] in public


# ---- both: flow logs --------------------------------------------------------------------------


def test_every_vpc_logs_all_its_traffic_into_an_encrypted_retained_log_group(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = compute(evaluate, environment)
    (log_group,) = result.of_type(LOG_GROUP)
    assert log_group.inputs["name"] == naming.log_group_name(env_settings, "vpc-flow-logs")
    assert log_group.inputs["kmsKeyId"] == contract_value(topology.KMS_KEY_ARN, environment)
    assert log_group.inputs["retentionInDays"] == (365 if env_settings.production else 14)
    (flow_log,) = result.of_type(FLOW_LOG)
    (vpc,) = result.of_type(t.VPC)
    assert flow_log.inputs["vpcId"] == vpc.id
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == log_group.outputs["arn"]


def test_only_this_accounts_flow_logs_may_write_and_only_into_their_group(
    environment: str, evaluate: Evaluate
) -> None:
    result = compute(evaluate, environment)
    (role,) = [r for r in result.of_type(ROLE) if r.name.endswith("-flow-logs")]
    (flow_log,) = result.of_type(FLOW_LOG)
    assert flow_log.inputs["iamRoleArn"] == role.outputs["arn"]
    (trust,) = statements(document(role, "assumeRolePolicy"))
    assert trust["Principal"] == {"Service": VPC_FLOW_LOGS_SERVICE}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-flow-log/*"},
    }
    (log_group,) = result.of_type(LOG_GROUP)
    group_arn = log_group.outputs["arn"]
    (policy,) = [p for p in result.of_type(ROLE_POLICY) if p.inputs["role"] == role.outputs["name"]]
    writes, lists = statements(document(policy))
    assert set(as_list(writes["Resource"])) == {group_arn, f"{group_arn}:*"}
    assert "logs:PutLogEvents" in as_list(writes["Action"])
    assert not any(a.endswith("*") for a in as_list(writes["Action"]) + as_list(lists["Action"]))
    assert lists["Resource"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"
    assert as_list(lists["Action"]) == ["logs:DescribeLogGroups"]
    # The flow log starts delivering at once: the role's permission is in place before it.
    assert policy.urn in flow_log.dependencies
