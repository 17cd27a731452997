"""TEST-ONLY stand-in AWS provider: what the real provider computes for each resource type.

One table, `KINDS`, says per type token the id and the outputs the real provider computes, as
templates over the inputs, the provider config and a per-resource seed (`rendering` renders
them). They are the stand-in's own values (its account, its public addresses); what the
project knows of a type beyond values (which input the provider names, which inputs force a
replacement) is the type table's, `shared.aws_types`. Any type not in `KINDS` still works: it
is echoed with a generated id (and `tagsAll` when it has `tags`). Everything is deterministic:
the same program against the same cloud file gets the same ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared import aws_types as t
from shared.aws_facts import (
    ELB_HOSTED_ZONE_IDS,
    S3_HOSTED_ZONE_IDS,
    zone_id,
)
from tests.engine.standin_aws.account import (
    AUTOSCALING_ROLE_PATH,
    default_security_group_of,
    default_subnet_id,
    service_prefix_list,
)

# -- templates -----------------------------------------------------------------------------

Template = str | Callable[[Mapping[str, Any]], Any]


def _arn(service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
    region = "{region}" if regional else ""
    owner = "{account}" if account else ""
    return f"arn:{{partition}}:{service}:{region}:{owner}:{resource}"


@dataclass(frozen=True)
class Kind:
    """How one resource type behaves in the stand-in."""

    id: Template = "{slug}-{hex17}"
    outputs: Mapping[str, Template] = field(default_factory=dict)
    tags: bool = False
    # Computed outputs an in-place update recomputes: unknown in an update's preview (e.g. a
    # launch template's latestVersion), as the real provider marks them.
    recomputed: frozenset[str] = frozenset()
    # `tags` is a list of {key, value, ...} blocks (Auto Scaling groups): there is no tagsAll.
    tag_blocks: bool = False


def _public_ip(ctx: Mapping[str, Any]) -> str:
    if ctx.get("associatePublicIpAddress") is False:
        return ""
    return "54.{o1}.{o2}.{o3}".format_map(ctx)


def _public_dns(ctx: Mapping[str, Any]) -> str:
    address = _public_ip(ctx)
    if not address:
        return ""
    return "ec2-{}.{}.compute.{}".format(
        address.replace(".", "-"), ctx["region"], ctx["dns_suffix"]
    )


def _listener_id(ctx: Mapping[str, Any]) -> str:
    return "{}/{}".format(
        str(ctx["loadBalancerArn"]).replace(":loadbalancer/", ":listener/"), ctx["hex16"]
    )


def _ssl_policy(ctx: Mapping[str, Any]) -> str | None:
    """ELB's default policy for a TLS listener when none is given; none for plain HTTP."""
    return DEFAULT_SSL_POLICY if ctx.get("protocol") in ("HTTPS", "TLS") else None


def _listener_rule_id(ctx: Mapping[str, Any]) -> str:
    return "{}/{}".format(
        str(ctx["listenerArn"]).replace(":listener/", ":listener-rule/"), ctx["hex16"]
    )


def _alias_target_arn(ctx: Mapping[str, Any]) -> str:
    target = str(ctx.get("targetKeyId", ""))
    if target.startswith("arn:"):
        return target
    return "arn:{partition}:kms:{region}:{account}:key/".format_map(ctx) + target


def _lb_dns(ctx: Mapping[str, Any]) -> str:
    prefix = "internal-" if ctx.get("internal") is True else ""
    return prefix + "{name}-{digits10}.{region}.elb.{dns_suffix}".format_map(ctx)


def _default_subnet(ctx: Mapping[str, Any]) -> str:
    return default_subnet_id(ctx["config"], str(ctx.get("availabilityZone") or ctx["zone_a"]))


# What CreateListener picks for an HTTPS/TLS listener without sslPolicy.
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-2016-08"


def _zone(table: Mapping[str, str]) -> Callable[[Mapping[str, Any]], str]:
    return lambda ctx: table.get(ctx["region"], "Z" + ctx["hex17"][:13].upper())


_SG_RULE = Kind(
    id="sgr-{hex17}",
    outputs={
        "arn": _arn("ec2", "security-group-rule/{id}"),
        "securityGroupRuleId": "{id}",
    },
    tags=True,
)
_LOAD_BALANCER = Kind(
    id=_arn("elasticloadbalancing", "loadbalancer/{lb_kind}/{name}/{hex16}"),
    outputs={
        "arn": "{id}",
        "arnSuffix": "{lb_kind}/{name}/{hex16}",
        "dnsName": _lb_dns,
        "zoneId": _zone(ELB_HOSTED_ZONE_IDS),
        "vpcId": "{default_vpc}",
        "loadBalancerType": "application",
        "internal": lambda ctx: False,
    },
    tags=True,
)
_TARGET_GROUP = Kind(
    id=_arn("elasticloadbalancing", "targetgroup/{name}/{hex16}"),
    outputs={"arn": "{id}", "arnSuffix": "targetgroup/{name}/{hex16}"},
    tags=True,
)
_LISTENER = Kind(
    id=_listener_id,
    outputs={"arn": "{id}", "sslPolicy": _ssl_policy},
    tags=True,
)
_LISTENER_RULE = Kind(id=_listener_rule_id, outputs={"arn": "{id}"}, tags=True)

KINDS: dict[str, Kind] = {
    t.KMS_KEY: Kind(
        id="{uuid}",
        outputs={"arn": _arn("kms", "key/{id}"), "keyId": "{id}"},
        tags=True,
    ),
    t.KMS_ALIAS: Kind(
        id="{name}",
        outputs={"arn": _arn("kms", "{name}"), "targetKeyArn": _alias_target_arn},
    ),
    t.BUCKET: Kind(
        id="{bucket}",
        outputs={
            "arn": _arn("s3", "{bucket}", regional=False, account=False),
            "bucketDomainName": "{bucket}.s3.{dns_suffix}",
            "bucketRegionalDomainName": "{bucket}.s3.{region}.{dns_suffix}",
            "bucketRegion": "{region}",
            "hostedZoneId": _zone(S3_HOSTED_ZONE_IDS),
            "region": "{region}",
        },
        tags=True,
    ),
    **dict.fromkeys(
        (*t.BUCKET_SIDE_RESOURCES, t.BUCKET_ACL, t.BUCKET_CORS, t.BUCKET_NOTIFICATION),
        Kind(id="{bucket}"),
    ),
    t.IAM_ROLE: Kind(
        id="{name}",
        outputs={
            "arn": _arn("iam", "role/{name}", regional=False),
            "uniqueId": "AROA{HEX17}",
            "createDate": "2024-01-01T00:00:00Z",
        },
        tags=True,
    ),
    t.IAM_INSTANCE_PROFILE: Kind(
        id="{name}",
        outputs={
            "arn": _arn("iam", "instance-profile/{name}", regional=False),
            "uniqueId": "AIPA{HEX17}",
            "createDate": "2024-01-01T00:00:00Z",
        },
        tags=True,
    ),
    t.IAM_POLICY: Kind(
        id=_arn("iam", "policy/{name}", regional=False),
        outputs={"arn": "{id}", "policyId": "ANPA{HEX17}", "attachmentCount": lambda ctx: 0},
        tags=True,
    ),
    t.IAM_ROLE_POLICY: Kind(id="{role}:{name}"),
    t.IAM_ROLE_POLICY_ATTACHMENT: Kind(id="{role}-{digits10}"),
    t.SECURITY_GROUP: Kind(
        id="sg-{hex17}",
        outputs={
            "arn": _arn("ec2", "security-group/{id}"),
            "ownerId": "{account}",
            "vpcId": "{default_vpc}",
            "description": "Managed by Pulumi",
        },
        tags=True,
    ),
    t.DEFAULT_SECURITY_GROUP: Kind(
        id=lambda ctx: default_security_group_of(str(ctx["vpcId"])),
        outputs={
            "arn": _arn("ec2", "security-group/{id}"),
            "ownerId": "{account}",
            "name": "default",
            "description": "default VPC security group",
        },
        tags=True,
    ),
    t.SECURITY_GROUP_INGRESS_RULE: _SG_RULE,
    t.SECURITY_GROUP_EGRESS_RULE: _SG_RULE,
    t.SECURITY_GROUP_RULE: Kind(
        id="sgrule-{digits10}",
        outputs={"securityGroupRuleId": "sgr-{hex17}"},
    ),
    t.VPC: Kind(
        id="vpc-{hex17}",
        outputs={
            "arn": _arn("ec2", "vpc/{id}"),
            "ownerId": "{account}",
            "defaultSecurityGroupId": lambda ctx: default_security_group_of(ctx["id"]),
            "defaultNetworkAclId": "acl-{hex17b}",
            "defaultRouteTableId": "rtb-{hex17b}",
            "mainRouteTableId": "rtb-{hex17b}",
            "dhcpOptionsId": "dopt-{hex17b}",
            # AWS's defaults for a VPC that is not the default VPC.
            "enableDnsSupport": lambda ctx: True,
            "enableDnsHostnames": lambda ctx: False,
        },
        tags=True,
    ),
    t.SUBNET: Kind(
        id="subnet-{hex17}",
        outputs={
            "arn": _arn("ec2", "subnet/{id}"),
            "ownerId": "{account}",
            "availabilityZone": "{zone_a}",
            "availabilityZoneId": lambda ctx: zone_id(str(ctx["availabilityZone"])),
        },
        tags=True,
    ),
    t.INTERNET_GATEWAY: Kind(
        id="igw-{hex17}",
        outputs={"arn": _arn("ec2", "internet-gateway/{id}"), "ownerId": "{account}"},
        tags=True,
    ),
    t.INTERNET_GATEWAY_ATTACHMENT: Kind(id="{internetGatewayId}:{vpcId}"),
    t.VPC_ENDPOINT: Kind(
        id="vpce-{hex17}",
        outputs={
            "arn": _arn("ec2", "vpc-endpoint/{id}"),
            "ownerId": "{account}",
            "state": "available",
            "requesterManaged": lambda ctx: False,
            "vpcEndpointType": "Gateway",
            "prefixListId": lambda ctx: service_prefix_list(
                ctx["region"], str(ctx.get("serviceName"))
            ),
            # The provider sends false unless told otherwise (the API's default is true).
            "privateDnsEnabled": lambda ctx: False,
            "networkInterfaceIds": lambda ctx: (
                [f"eni-{ctx['hex17b']}"] if ctx.get("vpcEndpointType") == "Interface" else []
            ),
            "dnsEntries": lambda ctx: [],
            "cidrBlocks": lambda ctx: [],
        },
        tags=True,
    ),
    t.FLOW_LOG: Kind(
        id="fl-{hex17}",
        outputs={"arn": _arn("ec2", "vpc-flow-log/{id}")},
        # CreateFlowLogs has no update call: every setting is fixed at creation.
        tags=True,
    ),
    t.ROUTE_TABLE: Kind(
        id="rtb-{hex17}",
        outputs={"arn": _arn("ec2", "route-table/{id}"), "ownerId": "{account}"},
        tags=True,
    ),
    t.ROUTE: Kind(id="r-{routeTableId}{digits10}"),
    t.ROUTE_TABLE_ASSOCIATION: Kind(id="rtbassoc-{hex17}"),
    t.INSTANCE: Kind(
        id="i-{hex17}",
        outputs={
            "arn": _arn("ec2", "instance/{id}"),
            "availabilityZone": "{zone_a}",
            "subnetId": _default_subnet,
            "privateIp": "10.0.{o1}.{o2}",
            "privateDns": "ip-10-0-{o1}-{o2}.{region}.compute.internal",
            "publicIp": _public_ip,
            "publicDns": _public_dns,
            "primaryNetworkInterfaceId": "eni-{hex17}",
            "instanceState": "running",
        },
        tags=True,
    ),
    t.LAUNCH_TEMPLATE: Kind(
        id="lt-{hex17}",
        outputs={
            "arn": _arn("ec2", "launch-template/{id}"),
            "latestVersion": lambda ctx: 1,
            "defaultVersion": lambda ctx: 1,
        },
        tags=True,
        recomputed=frozenset({"latestVersion", "defaultVersion"}),
    ),
    t.AUTOSCALING_GROUP: Kind(
        id="{name}",
        outputs={
            "arn": lambda ctx: (
                _arn("autoscaling", "autoScalingGroup:").format_map(ctx)
                + str(uuid.UUID(ctx["seed"][32:64]))
                + ":autoScalingGroupName/"
                + str(ctx["name"])
            ),
            "availabilityZones": lambda ctx: [],
            "predictedCapacity": lambda ctx: 0,
            "defaultCooldown": lambda ctx: 300,
            "healthCheckGracePeriod": lambda ctx: 300,
            "healthCheckType": "EC2",
            "waitForCapacityTimeout": "10m",
            "serviceLinkedRoleArn": lambda ctx: (
                "arn:{partition}:iam::{account}:".format_map(ctx) + AUTOSCALING_ROLE_PATH
            ),
        },
        tag_blocks=True,
    ),
    t.LOAD_BALANCER: _LOAD_BALANCER,
    t.TARGET_GROUP: _TARGET_GROUP,
    t.LISTENER: _LISTENER,
    t.LISTENER_RULE: _LISTENER_RULE,
    t.TARGET_GROUP_ATTACHMENT: Kind(
        id="{targetGroupArn}-{digits10}",
    ),
    t.LOG_GROUP: Kind(
        id="{name}",
        outputs={"arn": _arn("logs", "log-group:{name}"), "logGroupClass": "STANDARD"},
        tags=True,
    ),
    t.KMS_KEY_POLICY: Kind(id="{keyId}"),
    t.KMS_GRANT: Kind(
        id=lambda ctx: "{}:{}".format(ctx["keyId"], ctx["hex16"] * 4),
        outputs={"grantId": lambda ctx: ctx["hex16"] * 4, "grantToken": "AQpAM{HEX17}"},
    ),
    t.ACM_CERTIFICATE: Kind(
        id=_arn("acm", "certificate/{uuid}"),
        outputs={"arn": "{id}", "status": "ISSUED", "type": "AMAZON_ISSUED"},
        tags=True,
    ),
    t.SSM_PARAMETER: Kind(
        id="{name}",
        outputs={
            "arn": lambda ctx: (
                _arn("ssm", "parameter").format_map(ctx)
                + ("" if str(ctx["name"]).startswith("/") else "/")
                + str(ctx["name"])
            ),
            "version": lambda ctx: 1,
        },
        tags=True,
    ),
}

# The provider's aliases (`aws:alb/...`) behave as the types they alias.
KINDS.update(
    {alias: KINDS[row.alias_of] for alias, row in t.TYPES.items() if row.alias_of in KINDS}
)

GENERIC = Kind()


def kind_of(type_: str) -> Kind:
    return KINDS.get(type_, GENERIC)


def autoname_of(type_: str) -> t.AutoName | None:
    """The input the real provider names when the program does not (the type table's)."""
    row = t.TYPES.get(type_)
    return row.autoname if row is not None else None
