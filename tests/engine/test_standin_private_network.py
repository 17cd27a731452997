"""Fast tests: a private web tier as AWS treats it, in the TEST-ONLY AWS stand-in.

VPC endpoints (what CreateVpcEndpoint refuses), VPC flow logs (what CreateFlowLogs refuses and
whether the logs arrive) and what an instance could reach when it launched: S3 and SSM through
the internet, a gateway endpoint or interface endpoints, given routes and security groups.
Each test shows AWS's refusal or fact and the correct case AWS accepts.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared import aws_types as t
from shared.aws_facts import SSM_ENDPOINT_SERVICES, VPC_FLOW_LOGS_SERVICE
from tests.engine.standin_aws import ACCOUNT_ID
from tests.engine.standin_client import REGION, Net, Standin, network, refused, serve_ready

VPC_CIDR = "10.30.0.0/16"
DNS = {"enableDnsSupport": True, "enableDnsHostnames": True}
SG = t.SECURITY_GROUP
SUBNET = t.SUBNET
ENDPOINT = t.VPC_ENDPOINT
ROUTE_TABLE = t.ROUTE_TABLE
ROUTE = t.ROUTE
ASSOCIATION = t.ROUTE_TABLE_ASSOCIATION
EGRESS = t.SECURITY_GROUP_EGRESS_RULE
INGRESS = t.SECURITY_GROUP_INGRESS_RULE
INSTANCE = t.INSTANCE
LAUNCH_TEMPLATE = t.LAUNCH_TEMPLATE
GROUP = t.AUTOSCALING_GROUP
FLOW_LOG = t.FLOW_LOG
LOG_GROUP = t.LOG_GROUP
ROLE = t.IAM_ROLE
ROLE_POLICY = t.IAM_ROLE_POLICY
POLICY = t.IAM_POLICY
ATTACHMENT = t.IAM_ROLE_POLICY_ATTACHMENT


@pytest.fixture
def aws(tmp_path: Path) -> Iterator[Standin]:
    with serve_ready(tmp_path) as standin:
        yield standin


def service(name: str) -> str:
    return f"com.amazonaws.{REGION}.{name}"


def group(aws: Standin, name: str, vpc: str) -> str:
    return aws.made(SG, name, {"name": name, "description": name, "vpcId": vpc})[0]


def rule(
    aws: Standin, type_: str, name: str, group_id: str, **peer: str
) -> tuple[str, dict[str, Any]]:
    """A TCP 443 rule of `group_id` to or from `peer` (cidrIpv4, prefixListId or
    referencedSecurityGroupId)."""
    inputs = {"securityGroupId": group_id, "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}
    return aws.made(type_, name, {**inputs, **peer})


def vpc_output(aws: Standin, vpc_id: str, key: str) -> Any:
    vpc = aws.cloud.get(t.VPC, vpc_id)
    assert vpc is not None
    return vpc.output(key)


def interface(
    aws: Standin, name: str, net: Net, *, private_dns: bool = True, **extra: Any
) -> tuple[str, dict[str, Any]]:
    inputs = {
        "vpcId": net.vpc,
        "serviceName": service(name),
        "vpcEndpointType": "Interface",
        "subnetIds": net.subnets,
        "privateDnsEnabled": private_dns,
        **extra,
    }
    return aws.made(ENDPOINT, f"{net.vpc}-{name}", inputs)


# -- VPC endpoints -------------------------------------------------------------------------------


def test_private_dns_needs_both_dns_attributes_of_the_vpc(aws: Standin) -> None:
    plain = network(aws, "plain", "10.1.0.0/16", gateway=False)
    details = refused(lambda: interface(aws, "ssm", plain))
    assert f"creating EC2 VPC Endpoint ({service('ssm')})" in details
    assert details.endswith(
        "api error InvalidParameter: Enabling private DNS requires both enableDnsSupport and "
        f"enableDnsHostnames VPC attributes set to true for {plain.vpc}"
    )
    # Without private DNS AWS accepts it, and gives it the VPC's default security group.
    _, outputs = interface(aws, "ssm", plain, private_dns=False)
    assert outputs["securityGroupIds"] == [vpc_output(aws, plain.vpc, "defaultSecurityGroupId")]
    named = network(aws, "named", "10.2.0.0/16", gateway=False, vpc_inputs=DNS)
    _, outputs = interface(aws, "ssm", named)
    assert outputs["privateDnsEnabled"] is True


def test_an_interface_endpoint_takes_one_subnet_per_zone_and_its_vpcs_groups(
    aws: Standin,
) -> None:
    net = network(aws, "app", VPC_CIDR, gateway=False, vpc_inputs=DNS)
    other = network(aws, "other", "10.31.0.0/16", gateway=False, vpc_inputs=DNS)
    twin, _ = aws.made(
        SUBNET,
        "app-a2",
        {"vpcId": net.vpc, "availabilityZone": f"{REGION}a", "cidrBlock": "10.30.9.0/24"},
    )
    details = refused(lambda: interface(aws, "ssm", net, subnetIds=[net.subnets[0], twin]))
    assert details.endswith(
        f"api error DuplicateSubnetsInSameZone: Found another VPC endpoint subnet in the "
        f"availability zone of {net.subnets[0]}. VPC endpoint subnets should be in different "
        "availability zones supported by the VPC endpoint service."
    )
    assert "api error InvalidParameter" in refused(
        lambda: interface(aws, "ssm", net, subnetIds=[net.subnets[0], other.subnets[1]])
    )
    foreign = group(aws, "foreign", other.vpc)
    assert (
        f"api error InvalidGroup.NotFound: The security group '{foreign}' does not exist in VPC "
        f"'{net.vpc}'"
    ) in refused(lambda: interface(aws, "ssm", net, securityGroupIds=[foreign]))
    own = group(aws, "endpoints", net.vpc)
    endpoint, outputs = interface(aws, "ssm", net, securityGroupIds=[own])
    assert outputs["securityGroupIds"] == [own]
    # ModifyVpcEndpoint refuses the same.
    details = refused(
        lambda: aws.update(
            ENDPOINT,
            f"{net.vpc}-ssm",
            endpoint,
            outputs,
            {**outputs, "subnetIds": [twin, *net.subnets]},
        )
    )
    assert "operation error EC2: ModifyVpcEndpoint" in details
    assert "DuplicateSubnetsInSameZone" in details


def _ssm(net: Net) -> dict[str, Any]:
    return {
        "vpcId": net.vpc,
        "serviceName": service("ssm"),
        "vpcEndpointType": "Interface",
        "subnetIds": net.subnets,
        "privateDnsEnabled": True,
    }


def test_one_endpoint_per_vpc_holds_a_services_private_dns_name(aws: Standin) -> None:
    net = network(aws, "app", VPC_CIDR, gateway=False, vpc_inputs=DNS)
    first, _ = interface(aws, "ssm", net)
    # A create-before-delete replacement collides with the endpoint it replaces.
    details = refused(lambda: aws.create(ENDPOINT, "replacement", _ssm(net)))
    assert details.endswith(
        "api error InvalidParameter: private-dns-enabled cannot be set because there is already "
        f"a conflicting DNS domain for ssm.{REGION}.amazonaws.com in the VPC {net.vpc}"
    )
    aws.delete(ENDPOINT, f"{net.vpc}-ssm", first)
    aws.made(ENDPOINT, "replacement", _ssm(net))


def test_a_gateway_endpoint_routes_only_its_vpcs_tables(aws: Standin) -> None:
    net = network(aws, "app", VPC_CIDR, gateway=False)
    other = network(aws, "other", "10.31.0.0/16", gateway=False)
    table, _ = aws.made(ROUTE_TABLE, "private", {"vpcId": net.vpc})
    foreign, _ = aws.made(ROUTE_TABLE, "foreign", {"vpcId": other.vpc})
    s3 = {"vpcId": net.vpc, "serviceName": service("s3"), "vpcEndpointType": "Gateway"}
    assert "api error InvalidParameter: Subnet IDs are only supported for Interface" in (
        refused(lambda: aws.create(ENDPOINT, "s3", {**s3, "subnetIds": net.subnets}))
    )
    assert (
        "api error InvalidRouteTableId.NotFound: The routeTable ID 'rtb-0000' does not exist"
        in (refused(lambda: aws.create(ENDPOINT, "s3", {**s3, "routeTableIds": ["rtb-0000"]})))
    )
    assert f"api error InvalidParameter: The route table {foreign} does not belong to" in (
        refused(lambda: aws.create(ENDPOINT, "s3", {**s3, "routeTableIds": [foreign]}))
    )
    _, outputs = aws.made(ENDPOINT, "s3", {**s3, "routeTableIds": [table]})
    prefix_list = outputs["prefixListId"]
    assert prefix_list.startswith("pl-")
    # The VPC's main table is the VPC's too; the prefix list is the service's, not the endpoint's.
    main = vpc_output(aws, net.vpc, "mainRouteTableId")
    _, second = aws.made(ENDPOINT, "s3-main", {**s3, "routeTableIds": [main]})
    assert second["prefixListId"] == prefix_list
    assert (
        f"api error InvalidParameter: route table {table} already has a route with "
        f"destination-prefix-list-id {prefix_list}"
    ) in refused(lambda: aws.create(ENDPOINT, "s3-again", {**s3, "routeTableIds": [table]}))


# -- flow logs -----------------------------------------------------------------------------------


def trust(service_principal: str = VPC_FLOW_LOGS_SERVICE) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": service_principal},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def writes(resource: str) -> str:
    statement = {
        "Effect": "Allow",
        "Action": [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogGroups",
            "logs:DescribeLogStreams",
        ],
        "Resource": resource,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@dataclass
class FlowLogSetup:
    vpc: str
    group_arn: str
    role: str
    role_arn: str

    def inputs(self, **changes: Any) -> dict[str, Any]:
        return {
            "vpcId": self.vpc,
            "trafficType": "ALL",
            "logDestination": self.group_arn,
            "iamRoleArn": self.role_arn,
            **changes,
        }


@pytest.fixture
def flow(aws: Standin) -> FlowLogSetup:
    net = network(aws, "app", VPC_CIDR, gateway=False)
    _, group_outputs = aws.made(LOG_GROUP, "flow", {"name": "/webapp/production/flow"})
    role, role_outputs = aws.made(ROLE, "flow", {"assumeRolePolicy": trust()})
    return FlowLogSetup(net.vpc, group_outputs["arn"], role, role_outputs["arn"])


def delivery_of(aws: Standin, name: str) -> dict[str, Any]:
    [status] = [item for item in aws.cloud.log_deliveries() if item["source"] == name]
    return status


def test_a_flow_log_into_cloudwatch_needs_a_role_flow_logs_may_assume(
    aws: Standin, flow: FlowLogSetup
) -> None:
    def refusal(inputs: dict[str, Any]) -> str:
        return refused(lambda: aws.create(FLOW_LOG, "flow", inputs))

    details = refusal(flow.inputs(iamRoleArn=None))
    assert f"creating Flow Log ({flow.vpc}): operation error EC2: CreateFlowLogs" in details
    assert details.endswith(
        "api error InvalidParameter: DeliverLogsPermissionArn can't be empty if "
        "LogDestinationType is cloud-watch-logs."
    )
    assert "LogDestination can't be empty if LogGroupName is not provided." in refusal(
        flow.inputs(logDestination=None)
    )
    _, ec2_role = aws.made(ROLE, "ec2", {"assumeRolePolicy": trust("ec2.amazonaws.com")})
    assert refusal(flow.inputs(iamRoleArn=ec2_role["arn"])).endswith(
        f"api error InvalidParameter: Unable to assume given IAM role: '{ec2_role['arn']}'"
    )
    s3 = {"logDestinationType": "s3", "logDestination": "arn:aws:s3:::flow-logs"}
    assert "DeliverLogsPermissionArn is not applicable for s3 delivery" in refusal(
        flow.inputs(**s3)
    )
    assert "InvalidVpcID.NotFound: The vpc ID 'vpc-0000' does not exist" in refusal(
        flow.inputs(vpcId="vpc-0000")
    )
    _, outputs = aws.made(FLOW_LOG, "flow", flow.inputs())
    assert outputs["logDestinationType"] == "cloud-watch-logs"


def test_flow_logs_arrive_only_with_the_group_and_write_permission_on_its_streams(
    aws: Standin, flow: FlowLogSetup
) -> None:
    aws.made(FLOW_LOG, "flow", flow.inputs())
    status = delivery_of(aws, "flow")
    assert status["target"] == flow.group_arn
    assert status["delivering"] is False
    assert "logs:CreateLogStream and logs:PutLogEvents" in status["reason"]
    # The group's bare ARN names no log stream: PutLogEvents stays denied.
    policy, _ = aws.made(
        ROLE_POLICY, "flow-write", {"role": flow.role, "policy": writes(flow.group_arn)}
    )
    status = delivery_of(aws, "flow")
    assert status["delivering"] is False
    assert "do not allow logs:PutLogEvents on" in status["reason"]
    aws.cloud.change_outputs(ROLE_POLICY, policy, policy=writes(f"{flow.group_arn}:*"))
    aws.made(LOG_GROUP, "poke", {"name": "poke"})  # any change recomputes the facts
    assert delivery_of(aws, "flow") == {
        "source": "flow",
        "target": flow.group_arn,
        "delivering": True,
        "reason": "",
    }
    aws.cloud.change_outputs(ROLE, flow.role, assumeRolePolicy=trust("ec2.amazonaws.com"))
    aws.made(LOG_GROUP, "poke2", {"name": "poke2"})
    assert f"does not let {VPC_FLOW_LOGS_SERVICE} assume it" in delivery_of(aws, "flow")["reason"]
    aws.cloud.change_outputs(ROLE, flow.role, assumeRolePolicy=trust())
    group = aws.cloud.find(LOG_GROUP, "flow")
    aws.delete(LOG_GROUP, "flow", group.id)
    status = delivery_of(aws, "flow")
    assert status["delivering"] is False
    assert status["reason"] == f"log group {flow.group_arn} does not exist"


def test_customer_managed_and_role_inline_policies_grant_flow_log_writes_too(
    aws: Standin, flow: FlowLogSetup
) -> None:
    policy, _ = aws.made(POLICY, "flow-write", {"policy": writes(f"{flow.group_arn}:*")})
    aws.made(ATTACHMENT, "flow-write", {"role": flow.role, "policyArn": policy})
    aws.made(FLOW_LOG, "attached", flow.inputs())
    inline = [{"name": "write", "policy": writes(f"{flow.group_arn}:*")}]
    _, role = aws.made(ROLE, "inline", {"assumeRolePolicy": trust(), "inlinePolicies": inline})
    aws.made(FLOW_LOG, "inline", flow.inputs(iamRoleArn=role["arn"]))
    assert delivery_of(aws, "attached")["delivering"] is True
    assert delivery_of(aws, "inline")["delivering"] is True


# -- what an instance reaches at launch ----------------------------------------------------------


@dataclass
class Tier:
    net: Net
    table: str
    web: str
    prefix_list: str


def private_tier(
    aws: Standin,
    *,
    gateway_endpoint: bool = True,
    ssm_services: tuple[str, ...] = SSM_ENDPOINT_SERVICES,
    private_dns: bool = True,
    egress_to_prefix_list: bool = True,
    endpoints_admit_https: bool = True,
) -> Tier:
    """Issue 13's private web tier: subnets without a route out, an S3 gateway endpoint on
    their route table, SSM interface endpoints whose group admits 443 from the VPC, web
    servers whose group sends 443 to the VPC and to the S3 prefix list."""
    net = network(aws, "app", VPC_CIDR, gateway=False, vpc_inputs=DNS)
    table, _ = aws.made(ROUTE_TABLE, "private", {"vpcId": net.vpc})
    for index, subnet in enumerate(net.subnets):
        aws.made(ASSOCIATION, f"private-{index}", {"subnetId": subnet, "routeTableId": table})
    endpoints = group(aws, "endpoints", net.vpc)
    if endpoints_admit_https:
        rule(aws, INGRESS, "endpoints-in", endpoints, cidrIpv4=VPC_CIDR)
    prefix_list = ""
    if gateway_endpoint:
        s3 = {"vpcId": net.vpc, "serviceName": service("s3"), "routeTableIds": [table]}
        prefix_list = aws.made(ENDPOINT, "s3", s3)[1]["prefixListId"]
    for name in ssm_services:
        interface(aws, name, net, private_dns=private_dns, securityGroupIds=[endpoints])
    web = group(aws, "web", net.vpc)
    rule(aws, EGRESS, "web-out-vpc", web, cidrIpv4=VPC_CIDR)
    if egress_to_prefix_list and prefix_list:
        rule(aws, EGRESS, "web-out-s3", web, prefixListId=prefix_list)
    return Tier(net, table, web, prefix_list)


def launched(aws: Standin, name: str, subnet: str, groups: list[str], **extra: Any) -> Any:
    inputs = {"ami": "ami-1", "subnetId": subnet, "vpcSecurityGroupIds": groups, **extra}
    aws.made(INSTANCE, name, inputs)
    return aws.cloud.find(INSTANCE, name)


def test_a_private_instance_reaches_s3_and_ssm_through_the_endpoints(aws: Standin) -> None:
    tier = private_tier(aws)
    web = launched(aws, "web", tier.net.subnets[1], [tier.web])
    assert web.output("publicIp") == ""
    assert ipaddress.ip_address(web.output("privateIp")) in ipaddress.ip_network("10.30.1.0/24")
    assert web.facts["reaches"] == {"s3": True, "ssm": True}
    [s3_endpoint] = [
        e for e in aws.cloud.resources(ENDPOINT) if e.output("vpcEndpointType") == "Gateway"
    ]
    assert web.facts["via"]["s3"] == f"gateway endpoint {s3_endpoint.id}"
    assert web.facts["via"]["ssm"].count("interface endpoint vpce-") == 3
    assert web.facts["unreachable"] == {}
    assert aws.cloud.unreachable_instances() == []


@pytest.mark.parametrize(
    ("tier_options", "missing", "why"),
    [
        ({"gateway_endpoint": False}, "s3", "no route to com.amazonaws.us-west-2.s3: route table"),
        ({"egress_to_prefix_list": False}, "s3", "do not let TCP 443 out to pl-"),
        ({"endpoints_admit_https": False}, "ssm", "do not let TCP 443 in from the instance"),
        ({"private_dns": False}, "ssm", "ssm: no route to com.amazonaws.us-west-2.ssm"),
        ({"ssm_services": ("ssm", "ec2messages")}, "ssm", "ssmmessages: no route"),
    ],
    ids=[
        "no-gateway-endpoint",
        "no-egress-to-s3",
        "endpoints-closed",
        "no-private-dns",
        "two-of-three",
    ],
)
def test_what_a_private_instance_misses_and_why(
    aws: Standin, tier_options: dict[str, Any], missing: str, why: str
) -> None:
    tier = private_tier(aws, **tier_options)
    web = launched(aws, "web", tier.net.subnets[0], [tier.web])
    other = "ssm" if missing == "s3" else "s3"
    assert web.facts["reaches"] == {missing: False, other: True}
    assert why in web.facts["unreachable"][missing]
    assert aws.cloud.unreachable_instances() == [
        {"instance": "web", "id": web.id, "unreachable": web.facts["unreachable"]}
    ]


def test_what_an_instance_reaches_is_decided_when_it_launches(aws: Standin) -> None:
    net = network(aws, "app", VPC_CIDR, gateway=False, vpc_inputs=DNS)
    web = group(aws, "web", net.vpc)
    rule(aws, EGRESS, "web-out", web, cidrIpv4="0.0.0.0/0")
    early = launched(aws, "early", net.subnets[0], [web])
    assert early.facts["reaches"] == {"s3": False, "ssm": False}
    assert "has no route to the internet" in early.facts["unreachable"]["s3"]
    # The endpoints arrive after it booted: it stays without them.
    main = vpc_output(aws, net.vpc, "mainRouteTableId")
    aws.made(
        ENDPOINT, "s3", {"vpcId": net.vpc, "serviceName": service("s3"), "routeTableIds": [main]}
    )
    for name in SSM_ENDPOINT_SERVICES:
        interface(aws, name, net, securityGroupIds=[web])
    rule(aws, INGRESS, "web-in", web, referencedSecurityGroupId=web)
    late = launched(aws, "late", net.subnets[1], [web])
    assert late.facts["reaches"] == {"s3": True, "ssm": True}
    assert aws.cloud.find(INSTANCE, "early").facts["reaches"] == {"s3": False, "ssm": False}
    assert [item["instance"] for item in aws.cloud.unreachable_instances()] == ["early"]


def test_endpoint_association_resources_count_like_the_endpoints_own_ids(aws: Standin) -> None:
    tier = private_tier(aws, gateway_endpoint=False)
    endpoint, outputs = aws.made(
        ENDPOINT, "s3", {"vpcId": tier.net.vpc, "serviceName": service("s3")}
    )
    rule(aws, EGRESS, "web-out-s3", tier.web, prefixListId=outputs["prefixListId"])
    before = launched(aws, "before", tier.net.subnets[0], [tier.web])
    assert before.facts["reaches"]["s3"] is False
    aws.made(
        t.VPC_ENDPOINT_ROUTE_TABLE_ASSOCIATION,
        "s3-private",
        {"vpcEndpointId": endpoint, "routeTableId": tier.table},
    )
    after = launched(aws, "after", tier.net.subnets[0], [tier.web])
    assert after.facts["via"]["s3"] == f"gateway endpoint {endpoint}"


def test_auto_scaling_instances_note_what_they_reach_at_launch(aws: Standin) -> None:
    tier = private_tier(aws)
    template, _ = aws.made(
        LAUNCH_TEMPLATE,
        "web",
        {"imageId": "ami-1", "instanceType": "t3.small", "vpcSecurityGroupIds": [tier.web]},
    )
    group_inputs = {
        "name": "web",
        "minSize": 2,
        "maxSize": 4,
        "desiredCapacity": 2,
        "vpcZoneIdentifiers": tier.net.subnets,
        "launchTemplate": {"id": template, "version": "1"},
    }
    aws.made(GROUP, "web", group_inputs)
    members = [i for i in aws.cloud.resources(INSTANCE) if i.facts.get("autoScalingGroup") == "web"]
    assert len(members) == 2
    for member in members:
        assert member.facts["reaches"] == {"s3": True, "ssm": True}
        subnet = next(s for s in aws.cloud.resources(SUBNET) if s.id == member.output("subnetId"))
        address = ipaddress.ip_address(member.output("privateIp"))
        assert address in ipaddress.ip_network(subnet.output("cidrBlock"))


def test_a_public_instance_reaches_the_services_through_the_internet_gateway(
    aws: Standin,
) -> None:
    net = network(aws, "public", "10.40.0.0/16")
    assert net.gateway is not None
    table, _ = aws.made(
        ROUTE_TABLE,
        "public",
        {"vpcId": net.vpc, "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": net.gateway}]},
    )
    aws.made(ASSOCIATION, "public-a", {"subnetId": net.subnets[0], "routeTableId": table})
    web = group(aws, "web", net.vpc)
    rule(aws, EGRESS, "web-out", web, cidrIpv4="0.0.0.0/0")
    public = launched(aws, "public", net.subnets[0], [web], associatePublicIpAddress=True)
    assert public.facts["reaches"] == {"s3": True, "ssm": True}
    assert public.facts["via"] == {
        "s3": f"internet ({net.gateway})",
        "ssm": f"internet ({net.gateway})",
    }
    # The same subnet without a public IP: the gateway serves no one.
    private = launched(aws, "private", net.subnets[0], [web])
    assert (
        "leads to an internet gateway but the instance has no public IP"
        in (private.facts["unreachable"]["s3"])
    )
    # A subnet left on the VPC's main table (no route out): nothing, public IP or not.
    stranded = launched(aws, "stranded", net.subnets[1], [web], associatePublicIpAddress=True)
    assert stranded.facts["reaches"] == {"s3": False, "ssm": False}
    # A group without egress to 443 keeps even a routed instance in.
    closed = group(aws, "closed", net.vpc)
    shut = launched(aws, "shut", net.subnets[0], [closed], associatePublicIpAddress=True)
    assert "do not let TCP 443 out to" in shut.facts["unreachable"]["ssm"]


def test_a_route_resource_to_the_gateway_and_the_default_vpc_lead_out_too(aws: Standin) -> None:
    net = network(aws, "public", "10.40.0.0/16")
    table, _ = aws.made(ROUTE_TABLE, "public", {"vpcId": net.vpc})
    aws.made(
        ROUTE,
        "default",
        {"routeTableId": table, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": net.gateway},
    )
    aws.made(ASSOCIATION, "public-b", {"subnetId": net.subnets[1], "routeTableId": table})
    web = group(aws, "web", net.vpc)
    rule(aws, EGRESS, "web-out", web, cidrIpv4="0.0.0.0/0")
    routed = launched(aws, "routed", net.subnets[1], [web], associatePublicIpAddress=True)
    assert routed.facts["reaches"] == {"s3": True, "ssm": True}
    # The default VPC: default subnets map public IPs, the default group sends everything.
    aws.made(INSTANCE, "default", {"ami": "ami-1"})
    default = aws.cloud.find(INSTANCE, "default")
    assert default.output("publicIp")
    assert default.facts["reaches"] == {"s3": True, "ssm": True}
