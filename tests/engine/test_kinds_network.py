"""The stand-in's network kinds: VPCs, subnets, gateways, routes, endpoints, flow logs and
security groups live in the emulated account; what EC2 refuses and moto accepts is refused by
the stand-in's own layer (refusals/network.py); what an instance reaches is asked of the
account (reach.py). Instances are launched with boto3, as the compute kinds launch them.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

import pytest
from pulumi.runtime.proto import provider_pb2

from shared import aws_types as t
from shared.aws_facts import SSM_ENDPOINT_SERVICES, VPC_FLOW_LOGS_SERVICE
from tests.engine.emulated_account import REGION
from tests.engine.standin_aws import wire
from tests.engine.standin_aws.emulator import Account, Credentials
from tests.engine.standin_aws.reach import Reach, internet, reach
from tests.engine.standin_client import Net, Standin, network, refused, urn

VPC_CIDR = "10.30.0.0/16"
DNS = {"enableDnsSupport": True, "enableDnsHostnames": True}
AMI = "ami-12c6146b"  # one of the images moto knows
SG = t.SECURITY_GROUP
SUBNET = t.SUBNET
ENDPOINT = t.VPC_ENDPOINT
ROUTE_TABLE = t.ROUTE_TABLE
ASSOCIATION = t.ROUTE_TABLE_ASSOCIATION
EGRESS = t.SECURITY_GROUP_EGRESS_RULE
INGRESS = t.SECURITY_GROUP_INGRESS_RULE


def ec2(aws: Standin) -> Any:
    return aws.operator.client("ec2")


def account(aws: Standin) -> Account:
    keys = aws.operator.keys
    credentials = Credentials(keys.access_key, keys.secret_key, keys.token)
    return Account(aws.operator.endpoint, REGION, credentials)


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
    return aws.read(t.VPC, "vpc", vpc_id).properties[key]


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


def launch(
    aws: Standin, subnet: str, groups: list[str] | None = None, *, public: bool = False
) -> str:
    """An instance launched into `subnet` (a public IP if `public`); its id."""
    placement: dict[str, Any] = {
        "DeviceIndex": 0,
        "SubnetId": subnet,
        "AssociatePublicIpAddress": public,
    }
    if groups:
        placement["Groups"] = groups
    launched = ec2(aws).run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1, NetworkInterfaces=[placement]
    )
    return str(launched["Instances"][0]["InstanceId"])


def reached(
    aws: Standin, subnet: str, groups: list[str] | None = None, *, public: bool = False
) -> Reach:
    """What an instance launched now into `subnet` reaches at launch."""
    return reach(account(aws), launch(aws, subnet, groups, public=public))


# -- VPCs, subnets, gateways -------------------------------------------------------------------


def test_a_vpc_and_its_subnets_are_made_in_the_account_with_their_outputs(aws: Standin) -> None:
    net = network(aws, "app", VPC_CIDR, vpc_inputs={**DNS, "tags": {"Team": "web"}})
    [vpc] = ec2(aws).describe_vpcs(VpcIds=[net.vpc])["Vpcs"]
    outputs = aws.read(t.VPC, "app", net.vpc).properties
    assert outputs["arn"] == f"arn:aws:ec2:{REGION}:{aws.operator.keys.account_id}:vpc/{net.vpc}"
    assert outputs["ownerId"] == vpc["OwnerId"] == aws.operator.keys.account_id
    assert outputs["mainRouteTableId"].startswith("rtb-")
    assert outputs["defaultSecurityGroupId"].startswith("sg-")
    assert outputs["enableDnsHostnames"] is True
    assert {"Key": "Team", "Value": "web"} in vpc["Tags"]
    subnet = aws.read(SUBNET, "app-b", net.subnets[1]).properties
    assert subnet["availabilityZone"] == f"{REGION}b"
    assert subnet["availabilityZoneId"]
    assert subnet["arn"].endswith(f":subnet/{net.subnets[1]}")
    # The gateway's create returned with it attached: no wait for the attachment.
    assert internet(account(aws), net.vpc)
    aws.update(
        t.VPC,
        "app",
        net.vpc,
        {"cidrBlock": VPC_CIDR, "tags": {"Team": "web"}},
        {"cidrBlock": VPC_CIDR, "tags": {"Team": "api"}},
    )
    assert ec2(aws).describe_vpcs(VpcIds=[net.vpc])["Vpcs"][0]["Tags"] == [
        {"Key": "Team", "Value": "api"}
    ]


def test_tags_changed_behind_pulumis_back_show_in_a_read(aws: Standin) -> None:
    net = network(aws, gateway=False, vpc_inputs={"tags": {"Team": "web"}})
    group_id = group(aws, "web", net.vpc)
    for resource in (net.vpc, net.subnets[0], group_id):
        ec2(aws).create_tags(Resources=[resource], Tags=[{"Key": "Owner", "Value": "someone"}])
    assert aws.read(t.VPC, "net", net.vpc).properties["tags"] == {"Team": "web", "Owner": "someone"}
    assert aws.read(SUBNET, "net-a", net.subnets[0]).properties["tags"] == {"Owner": "someone"}
    assert aws.read(SG, "web", group_id).properties["tags"] == {"Owner": "someone"}


def test_instances_note_whether_they_launched_with_internet(aws: Standin) -> None:
    offline = network(aws, "offline", "10.3.0.0/16", gateway=False)
    online = network(aws, "online", "10.4.0.0/16")
    assert internet(account(aws), offline.vpc) is False
    assert internet(account(aws), online.vpc) is True
    # Detached behind Pulumi's back: the VPC has no internet any more.
    ec2(aws).detach_internet_gateway(InternetGatewayId=online.gateway, VpcId=online.vpc)
    assert internet(account(aws), online.vpc) is False


def test_security_group_names_are_unique_per_vpc(aws: Standin) -> None:
    first, second = network(aws, "one", "10.1.0.0/16"), network(aws, "two", "10.2.0.0/16")
    aws.made(SG, "web", {"name": "web", "description": "d", "vpcId": first.vpc})
    aws.made(SG, "web-elsewhere", {"name": "web", "description": "d", "vpcId": second.vpc})
    assert "InvalidGroup.Duplicate" in refused(
        lambda: aws.create(SG, "web-2", {"name": "web", "description": "d", "vpcId": first.vpc})
    )
    # A name prefix makes a fresh name each time (Check autonames it): a replacement can
    # coexist with the old group.
    names = []
    for logical in ("p1", "p2"):
        checked = checked_inputs(
            aws, logical, {"namePrefix": "web-", "description": "d", "vpcId": first.vpc}
        )
        names.append(aws.made(SG, logical, checked)[1]["name"])
    assert all(name.startswith("web-") and len(name) == len("web-") + 26 for name in names)
    assert names[0] != names[1]


def checked_inputs(aws: Standin, name: str, news: dict[str, Any]) -> dict[str, Any]:
    """The group's inputs after Check, as the engine sends them to Create (the name filled)."""
    request = provider_pb2.CheckRequest(
        urn=urn(SG, name), type=SG, news=wire.to_struct(news), randomSeed=name.encode()
    )
    return wire.to_props(aws.stub.Check(request).inputs)


def test_a_used_security_group_or_subnet_cannot_be_deleted(aws: Standin) -> None:
    net = network(aws)
    group_id, group_outputs = aws.made(
        SG, "web", {"name": "web", "description": "d", "vpcId": net.vpc}
    )
    instance = launch(aws, net.subnets[0], [group_id])
    assert f"DependencyViolation: resource {group_id} has a dependent object" in refused(
        lambda: aws.delete(SG, "web", group_id, group_outputs)
    )
    assert "DependencyViolation: The subnet" in refused(
        lambda: aws.delete(SUBNET, "net-a", net.subnets[0], {})
    )
    # Another group's rule naming it holds it too.
    other = group(aws, "other", net.vpc)
    rule_id, _ = rule(aws, INGRESS, "from-web", other, referencedSecurityGroupId=group_id)
    ec2(aws).terminate_instances(InstanceIds=[instance])
    assert "DependencyViolation" in refused(lambda: aws.delete(SG, "web", group_id, group_outputs))
    aws.delete(INGRESS, "from-web", rule_id, {"securityGroupId": other})
    aws.delete(SG, "web", group_id, group_outputs)
    aws.delete(SUBNET, "net-a", net.subnets[0], {})
    assert aws.read(SG, "web", group_id).id == ""
    assert aws.read(SUBNET, "net-a", net.subnets[0]).id == ""


def test_load_balancers_and_endpoints_hold_their_groups_and_subnets(aws: Standin) -> None:
    net = network(aws, vpc_inputs=DNS)
    balanced, balanced_outputs = aws.made(
        SG, "lb", {"name": "lb", "description": "d", "vpcId": net.vpc}
    )
    elbv2 = aws.operator.client("elbv2")
    balancer = elbv2.create_load_balancer(
        Name="web", Subnets=net.subnets, SecurityGroups=[balanced]
    )
    assert "DependencyViolation" in refused(
        lambda: aws.delete(SG, "lb", balanced, balanced_outputs)
    )
    assert "DependencyViolation" in refused(lambda: aws.delete(SUBNET, "net-b", net.subnets[1], {}))
    elbv2.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancers"][0]["LoadBalancerArn"])
    aws.delete(SG, "lb", balanced, balanced_outputs)
    held = group(aws, "endpoints", net.vpc)
    endpoint, _ = interface(aws, "ssm", net, securityGroupIds=[held])
    assert "DependencyViolation" in refused(lambda: aws.delete(SG, "endpoints", held, {}))
    assert "DependencyViolation" in refused(lambda: aws.delete(SUBNET, "net-a", net.subnets[0], {}))
    aws.delete(ENDPOINT, "endpoint", endpoint)
    aws.delete(SG, "endpoints", held, {})
    aws.delete(SUBNET, "net-a", net.subnets[0], {})


def test_network_references_must_exist_and_agree(aws: Standin) -> None:
    one = network(aws, "one", "10.1.0.0/16")
    assert "InvalidVpcID.NotFound: The vpc ID 'vpc-0000' does not exist" in refused(
        lambda: aws.create(SG, "orphan", {"name": "x", "description": "d", "vpcId": "vpc-0000"})
    )
    # A replacement subnet with the same CIDR collides with the one it replaces (moto's refusal).
    subnet = {"vpcId": one.vpc, "availabilityZone": f"{REGION}c", "cidrBlock": "10.1.0.0/24"}
    assert "InvalidSubnet.Conflict: The CIDR '10.1.0.0/24' conflicts with another subnet" in (
        refused(lambda: aws.create(SUBNET, "one-a-replacement", subnet))
    )


@pytest.mark.parametrize(
    ("type_", "olds", "news", "replaces"),
    [
        (SG, {"description": "a"}, {"description": "b"}, ["description"]),
        (SG, {"name": "a"}, {"namePrefix": "a-"}, ["name", "namePrefix"]),
        (SG, {"vpcId": "vpc-1"}, {"vpcId": "vpc-2"}, ["vpcId"]),
        (SG, {"tags": {"a": "1"}}, {"tags": {"a": "2"}}, []),
        (SUBNET, {"cidrBlock": "10.0.0.0/24"}, {"cidrBlock": "10.0.1.0/24"}, ["cidrBlock"]),
        (SUBNET, {"availabilityZone": "a"}, {"availabilityZone": "b"}, ["availabilityZone"]),
        (SUBNET, {"vpcId": "vpc-1"}, {"vpcId": "vpc-2"}, ["vpcId"]),
        (t.INTERNET_GATEWAY, {"vpcId": "vpc-1"}, {"vpcId": "vpc-2"}, []),
        (ENDPOINT, {"serviceName": "a"}, {"serviceName": "b"}, None),
        (t.FLOW_LOG, {"logDestination": "a"}, {"logDestination": "b"}, None),
    ],
)
def test_immutable_properties_force_a_replacement(
    aws: Standin,
    type_: str,
    olds: dict[str, Any],
    news: dict[str, Any],
    replaces: list[str] | None,
) -> None:
    response = aws.diff(type_, olds, news)
    expected = sorted(set(olds) | set(news)) if replaces is None else replaces
    assert sorted(response.replaces) == sorted(expected)


def test_a_gateway_moves_to_another_vpc_in_place(aws: Standin) -> None:
    one, two = network(aws, "one", "10.1.0.0/16"), network(aws, "two", "10.2.0.0/16", gateway=False)
    assert one.gateway is not None
    aws.update(t.INTERNET_GATEWAY, "one-igw", one.gateway, {"vpcId": one.vpc}, {"vpcId": two.vpc})
    [gateway] = ec2(aws).describe_internet_gateways(InternetGatewayIds=[one.gateway])[
        "InternetGateways"
    ]
    assert gateway["Attachments"] == [{"State": "available", "VpcId": two.vpc}]
    aws.delete(t.INTERNET_GATEWAY, "one-igw", one.gateway, {"vpcId": two.vpc})
    assert not internet(account(aws), two.vpc)


def test_split_rules_have_ids_and_arns_and_change_in_place(aws: Standin) -> None:
    net = network(aws, gateway=False)
    web = group(aws, "web", net.vpc)
    # The provider removed the allow-all egress AWS gave the new group.
    assert (
        ec2(aws).describe_security_groups(GroupIds=[web])["SecurityGroups"][0][
            "IpPermissionsEgress"
        ]
        == []
    )
    rule_id, outputs = rule(aws, EGRESS, "out", web, cidrIpv4=VPC_CIDR)
    assert outputs["securityGroupRuleId"] == rule_id
    assert outputs["arn"].endswith(f":security-group-rule/{rule_id}")
    inputs = {
        "securityGroupId": web,
        "ipProtocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
        "cidrIpv4": VPC_CIDR,
    }
    aws.update(EGRESS, "out", rule_id, inputs, {**inputs, "fromPort": 8443, "toPort": 8443})
    [live] = ec2(aws).describe_security_group_rules(SecurityGroupRuleIds=[rule_id])[
        "SecurityGroupRules"
    ]
    assert (live["FromPort"], live["ToPort"]) == (8443, 8443)
    # An operator revokes it behind Pulumi's back: the next read says it is gone.
    ec2(aws).revoke_security_group_egress(GroupId=web, SecurityGroupRuleIds=[rule_id])
    assert aws.read(EGRESS, "out", rule_id).id == ""


def test_the_default_group_is_emptied_and_kept(aws: Standin) -> None:
    net = network(aws, gateway=False)
    default = vpc_output(aws, net.vpc, "defaultSecurityGroupId")
    group_id, _ = aws.made(
        t.DEFAULT_SECURITY_GROUP, "default", {"vpcId": net.vpc, "ingress": [], "egress": []}
    )
    assert group_id == default
    [live] = ec2(aws).describe_security_groups(GroupIds=[default])["SecurityGroups"]
    assert live["IpPermissions"] == live["IpPermissionsEgress"] == []
    aws.delete(t.DEFAULT_SECURITY_GROUP, "default", group_id, {"vpcId": net.vpc})
    assert ec2(aws).describe_security_groups(GroupIds=[default])["SecurityGroups"]


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
    assert len(outputs["networkInterfaceIds"]) == 2
    assert outputs["dnsEntries"][0]["dnsName"]
    assert outputs["state"] == "available"
    named = network(aws, "named", "10.2.0.0/16", gateway=False, vpc_inputs=DNS)
    _, outputs = interface(aws, "ssm", named)
    assert outputs["privateDnsEnabled"] is True


def test_an_interface_endpoint_takes_one_subnet_per_zone_and_its_vpcs_groups(aws: Standin) -> None:
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
    # moto's own refusal (its code spells "ID" where EC2 spells "Id").
    assert "The routeTable ID 'rtb-0000' does not exist" in refused(
        lambda: aws.create(ENDPOINT, "s3", {**s3, "routeTableIds": ["rtb-0000"]})
    )
    assert f"api error InvalidParameter: The route table {foreign} does not belong to" in (
        refused(lambda: aws.create(ENDPOINT, "s3", {**s3, "routeTableIds": [foreign]}))
    )
    assert "InvalidServiceName" in refused(
        lambda: aws.create(ENDPOINT, "s3", {**s3, "serviceName": "com.amazonaws.eu-west-1.s3"})
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


def trust(account_id: str, service_principal: str = VPC_FLOW_LOGS_SERVICE) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": service_principal},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@dataclass
class FlowLogSetup:
    vpc: str
    group_arn: str
    role_arn: str

    def inputs(self, **changes: Any) -> dict[str, Any]:
        return {
            "vpcId": self.vpc,
            "trafficType": "ALL",
            "logDestination": self.group_arn,
            "iamRoleArn": self.role_arn,
            **changes,
        }


def role(aws: Standin, name: str, principal: str = VPC_FLOW_LOGS_SERVICE) -> str:
    document = trust(aws.operator.keys.account_id, principal)
    return str(
        aws.operator.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=document)[
            "Role"
        ]["Arn"]
    )


@pytest.fixture
def flow(aws: Standin) -> FlowLogSetup:
    net = network(aws, "app", VPC_CIDR, gateway=False)
    logs = aws.operator.client("logs")
    logs.create_log_group(logGroupName="/webapp/production/flow")
    arn = logs.describe_log_groups(logGroupNamePrefix="/webapp/production/flow")["logGroups"][0][
        "arn"
    ]
    return FlowLogSetup(net.vpc, arn.removesuffix(":*"), role(aws, "flow"))


def test_a_flow_log_into_cloudwatch_needs_a_role_flow_logs_may_assume(
    aws: Standin, flow: FlowLogSetup
) -> None:
    def refusal(inputs: dict[str, Any]) -> str:
        return refused(lambda: aws.create(t.FLOW_LOG, "flow", inputs))

    details = refusal(flow.inputs(iamRoleArn=None))
    assert f"creating Flow Log ({flow.vpc}): operation error EC2: CreateFlowLogs" in details
    assert details.endswith(
        "api error InvalidParameter: DeliverLogsPermissionArn can't be empty if "
        "LogDestinationType is cloud-watch-logs."
    )
    assert "LogDestination can't be empty if LogGroupName is not provided." in refusal(
        flow.inputs(logDestination=None)
    )
    ec2_role = role(aws, "ec2", "ec2.amazonaws.com")
    assert refusal(flow.inputs(iamRoleArn=ec2_role)).endswith(
        f"api error InvalidParameter: Unable to assume given IAM role: '{ec2_role}'"
    )
    s3 = {"logDestinationType": "s3", "logDestination": "arn:aws:s3:::flow-logs"}
    assert "DeliverLogsPermissionArn is not applicable for s3 delivery" in refusal(
        flow.inputs(**s3)
    )
    # moto's own refusal of a VPC that does not exist.
    assert "'vpc-0000'" in refusal(flow.inputs(vpcId="vpc-0000"))
    flow_id, outputs = aws.made(t.FLOW_LOG, "flow", {**flow.inputs(), "tags": {"Name": "flow"}})
    assert outputs["logDestinationType"] == "cloud-watch-logs"
    assert outputs["arn"].endswith(f":vpc-flow-log/{flow_id}")
    assert aws.read(t.FLOW_LOG, "flow", flow_id).id == flow_id
    aws.delete(t.FLOW_LOG, "flow", flow_id)
    assert aws.read(t.FLOW_LOG, "flow", flow_id).id == ""


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


def test_a_private_instance_reaches_s3_and_ssm_through_the_endpoints(aws: Standin) -> None:
    tier = private_tier(aws)
    web = launch(aws, tier.net.subnets[1], [tier.web])
    [instance] = ec2(aws).describe_instances(InstanceIds=[web])["Reservations"][0]["Instances"]
    assert "PublicIpAddress" not in instance
    assert ipaddress.ip_address(instance["PrivateIpAddress"]) in ipaddress.ip_network(
        "10.30.1.0/24"
    )
    found = reach(account(aws), web)
    assert found.reaches == {"s3": True, "ssm": True}
    [s3_endpoint] = ec2(aws).describe_vpc_endpoints(
        Filters=[{"Name": "vpc-endpoint-type", "Values": ["Gateway"]}]
    )["VpcEndpoints"]
    assert found.via["s3"] == f"gateway endpoint {s3_endpoint['VpcEndpointId']}"
    assert found.via["ssm"].count("interface endpoint vpce-") == 3
    assert found.unreachable == {}


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
    found = reached(aws, tier.net.subnets[0], [tier.web])
    other = "ssm" if missing == "s3" else "s3"
    assert found.reaches == {missing: False, other: True}
    assert why in found.unreachable[missing]
    assert list(found.unreachable) == [missing]


def test_what_an_instance_reaches_is_decided_when_it_launches(aws: Standin) -> None:
    net = network(aws, "app", VPC_CIDR, gateway=False, vpc_inputs=DNS)
    web = group(aws, "web", net.vpc)
    rule(aws, EGRESS, "web-out", web, cidrIpv4="0.0.0.0/0")
    early = launch(aws, net.subnets[0], [web])
    at_launch = reach(account(aws), early)
    assert at_launch.reaches == {"s3": False, "ssm": False}
    assert "has no route to the internet" in at_launch.unreachable["s3"]
    # The endpoints arrive after it booted: what it reached then was without them; asked now,
    # the account would say otherwise (so the compute kinds ask at launch and keep it).
    main = vpc_output(aws, net.vpc, "mainRouteTableId")
    aws.made(
        ENDPOINT, "s3", {"vpcId": net.vpc, "serviceName": service("s3"), "routeTableIds": [main]}
    )
    for name in SSM_ENDPOINT_SERVICES:
        interface(aws, name, net, securityGroupIds=[web])
    rule(aws, INGRESS, "web-in", web, referencedSecurityGroupId=web)
    assert reached(aws, net.subnets[1], [web]).reaches == {"s3": True, "ssm": True}
    assert reach(account(aws), early).reaches == {"s3": True, "ssm": True}


def test_auto_scaling_instances_note_what_they_reach_at_launch(aws: Standin) -> None:
    tier = private_tier(aws)
    data = {"ImageId": AMI, "InstanceType": "t3.small", "SecurityGroupIds": [tier.web]}
    template = ec2(aws).create_launch_template(LaunchTemplateName="web", LaunchTemplateData=data)
    template_id = template["LaunchTemplate"]["LaunchTemplateId"]
    autoscaling = aws.operator.client("autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web",
        MinSize=2,
        MaxSize=4,
        DesiredCapacity=2,
        VPCZoneIdentifier=",".join(tier.net.subnets),
        LaunchTemplate={"LaunchTemplateId": template_id, "Version": "1"},
    )
    [group_] = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])[
        "AutoScalingGroups"
    ]
    members = [member["InstanceId"] for member in group_["Instances"]]
    assert len(members) == 2
    for member in members:
        assert reach(account(aws), member).reaches == {"s3": True, "ssm": True}
        [instance] = ec2(aws).describe_instances(InstanceIds=[member])["Reservations"][0][
            "Instances"
        ]
        [subnet] = ec2(aws).describe_subnets(SubnetIds=[instance["SubnetId"]])["Subnets"]
        address = ipaddress.ip_address(instance["PrivateIpAddress"])
        assert address in ipaddress.ip_network(subnet["CidrBlock"])


def test_a_public_instance_reaches_the_services_through_the_internet_gateway(aws: Standin) -> None:
    net = network(aws, "public", "10.40.0.0/16")
    assert net.gateway is not None
    table, _ = aws.made(ROUTE_TABLE, "public", {"vpcId": net.vpc})
    out = {"routeTableId": table, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": net.gateway}
    aws.made(t.ROUTE, "public-out", out)
    aws.made(ASSOCIATION, "public-a", {"subnetId": net.subnets[0], "routeTableId": table})
    web = group(aws, "web", net.vpc)
    rule(aws, EGRESS, "web-out", web, cidrIpv4="0.0.0.0/0")
    public = reached(aws, net.subnets[0], [web], public=True)
    assert public.reaches == {"s3": True, "ssm": True}
    assert public.via == {"s3": f"internet ({net.gateway})", "ssm": f"internet ({net.gateway})"}
    # The same subnet without a public IP: the gateway serves no one.
    private = reached(aws, net.subnets[0], [web])
    assert (
        "leads to an internet gateway but the instance has no public IP"
        in private.unreachable["s3"]
    )
    # A subnet left on the VPC's main table (no route out): nothing, public IP or not.
    stranded = reached(aws, net.subnets[1], [web], public=True)
    assert stranded.reaches == {"s3": False, "ssm": False}
    # A group without egress to 443 keeps even a routed instance in.
    closed = group(aws, "closed", net.vpc)
    assert (
        "do not let TCP 443 out to"
        in reached(aws, net.subnets[0], [closed], public=True).unreachable["ssm"]
    )


def test_a_route_resource_to_the_gateway_and_the_default_vpc_lead_out_too(aws: Standin) -> None:
    net = network(aws, "public", "10.40.0.0/16")
    table, _ = aws.made(ROUTE_TABLE, "public", {"vpcId": net.vpc})
    route = {"routeTableId": table, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": net.gateway}
    route_id, _ = aws.made(t.ROUTE, "default", route)
    # A route is read back from its table, which the state names.
    assert aws.read(t.ROUTE, "default", route_id, state=route).id == route_id
    aws.made(ASSOCIATION, "public-b", {"subnetId": net.subnets[1], "routeTableId": table})
    web = group(aws, "web", net.vpc)
    rule(aws, EGRESS, "web-out", web, cidrIpv4="0.0.0.0/0")
    assert reached(aws, net.subnets[1], [web], public=True).reaches == {"s3": True, "ssm": True}
    # The default VPC: its subnets map public IPs, its default group sends everything.
    [default_vpc] = ec2(aws).describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])[
        "Vpcs"
    ]
    [subnet, *_] = ec2(aws).describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [default_vpc["VpcId"]]}]
    )["Subnets"]
    launched = ec2(aws).run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subnet["SubnetId"]
    )
    instance = launched["Instances"][0]
    assert instance.get("PublicIpAddress")
    assert reach(account(aws), instance["InstanceId"]).reaches == {"s3": True, "ssm": True}
