"""TEST-ONLY stand-in AWS provider: what each resource type and function returns.

One table, `KINDS`, says per type token which outputs the real provider computes (as templates
over the inputs, the provider config and a per-resource seed), which input the real provider
auto-names, and which inputs force a replacement. Any type not in the table still works: it is
echoed with a generated id (and `tagsAll` when it has `tags`). `FUNCTIONS` holds the invokes;
an unknown function token is an error that names it, so a missing one shows up at once.

Everything is deterministic: the same program against the same cloud file gets the same ids.
"""

from __future__ import annotations

import hashlib
import json
import string
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.aws_facts import (
    AUTOSCALING_SERVICE_ROLE_PATH,
    ELB_HOSTED_ZONE_IDS,
    ELB_LOG_ACCOUNTS,
    S3_HOSTED_ZONE_IDS,
    dns_suffix,
    partition_of,
    zone_id,
    zone_id_prefix,
    zone_names,
)
from tests.engine.standin_aws import ACCOUNT_ID
from tests.engine.standin_aws.wire import (
    UNKNOWN,
    Props,
    contains_secret,
    contains_unknown,
    plain,
    same,
    secret,
)

# -- provider configuration ----------------------------------------------------------------


@dataclass(frozen=True)
class ProviderConfig:
    """What Configure accepted; the parts that shape outputs."""

    region: str
    default_tags: Mapping[str, Any] = field(default_factory=dict)
    account: str = ACCOUNT_ID

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    @property
    def dns_suffix(self) -> str:
        return dns_suffix(self.partition)


def digest(*parts: str) -> str:
    return hashlib.sha256("#".join(parts).encode()).hexdigest()


def default_vpc_id(config: ProviderConfig) -> str:
    return "vpc-" + digest(config.account, config.region, "default-vpc")[:17]


def default_subnet_id(config: ProviderConfig, zone: str) -> str:
    return "subnet-" + digest(config.account, zone, "default-subnet")[:17]


def default_subnet_cidr(zone: str) -> str:
    """A default subnet's /20 of the default VPC's 172.31.0.0/16, one per zone in order."""
    return f"172.31.{16 * zone_names(zone[:-1]).index(zone)}.0/20"


def default_route_table_id(config: ProviderConfig) -> str:
    """The default VPC's main route table (its only route out: 0.0.0.0/0 to its gateway)."""
    return "rtb-" + digest(config.account, config.region, "default-route-table")[:17]


def endpoint_service(region: str, service: str) -> str:
    """A regional AWS service's VPC endpoint service name: com.amazonaws.<region>.<service>."""
    return f"com.amazonaws.{region}.{service}"


# Services with an AWS-managed prefix list (what gateway endpoints route to); a VPC endpoint of
# either service reports it as `prefixListId`, whatever the endpoint's type.
PREFIX_LIST_SERVICES = ("s3", "dynamodb")


def service_prefix_list(region: str, service_name: str) -> str | None:
    """The AWS-managed prefix list of an endpoint service in a region (one per service)."""
    if service_name not in {endpoint_service(region, name) for name in PREFIX_LIST_SERVICES}:
        return None
    return "pl-" + digest(region, service_name, "prefix-list")[:8]


# -- templates -----------------------------------------------------------------------------

Template = str | Callable[[Mapping[str, Any]], Any]


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        raise KeyError(f"template field {key!r} has no value (not an input, config or seed)")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _render(template: Template, context: Mapping[str, Any]) -> Any:
    if callable(template):
        return template(context)
    return template.format_map(context)


def _arn(service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
    region = "{region}" if regional else ""
    owner = "{account}" if account else ""
    return f"arn:{{partition}}:{service}:{region}:{owner}:{resource}"


@dataclass(frozen=True)
class Kind:
    """How one resource type behaves in the stand-in."""

    id: Template = "{slug}-{hex17}"
    outputs: Mapping[str, Template] = field(default_factory=dict)
    # The input the real provider fills with `<logical name>-<7 hex>` when it is not given.
    autoname: str | None = None
    autoname_max: int = 255
    autoname_lower: bool = False
    replace: frozenset[str] = frozenset()
    # input -> flag input: the input forces a replacement only while the flag input is true.
    replace_when: Mapping[str, str] = field(default_factory=dict)
    tags: bool = False
    # Computed outputs an in-place update recomputes: unknown in an update's preview (e.g. a
    # launch template's latestVersion), as the real provider marks them.
    recomputed: frozenset[str] = frozenset()
    # `tags` is a list of {key, value, ...} blocks (Auto Scaling groups): there is no tagsAll.
    tag_blocks: bool = False

    @property
    def prefix_input(self) -> str | None:
        """`namePrefix` / `bucketPrefix`: the input the provider builds a unique name from."""
        return f"{self.autoname}Prefix" if self.autoname else None


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


def default_security_group_of(vpc_id: str) -> str:
    """The id of a VPC's default security group: derived from the VPC id, so the VPC's
    `defaultSecurityGroupId` and an `ec2.DefaultSecurityGroup` adopting it agree."""
    return "sg-" + digest(vpc_id, "default-sg")[:17]


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
# The service-linked role Auto Scaling launches instances with (and so uses KMS keys as).
AUTOSCALING_ROLE_PATH = AUTOSCALING_SERVICE_ROLE_PATH


def _zone(table: Mapping[str, str]) -> Callable[[Mapping[str, Any]], str]:
    return lambda ctx: table.get(ctx["region"], "Z" + ctx["hex17"][:13].upper())


_NAMED = frozenset({"name", "namePrefix"})
_S3_SIDE = Kind(id="{bucket}", replace=frozenset({"bucket", "expectedBucketOwner"}))
_SG_RULE = Kind(
    id="sgr-{hex17}",
    outputs={
        "arn": _arn("ec2", "security-group-rule/{id}"),
        "securityGroupRuleId": "{id}",
    },
    replace=frozenset({"securityGroupId"}),
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
    autoname="name",
    autoname_max=32,
    replace=_NAMED | {"internal", "loadBalancerType", "customerOwnedIpv4Pool"},
    tags=True,
)
_TARGET_GROUP = Kind(
    id=_arn("elasticloadbalancing", "targetgroup/{name}/{hex16}"),
    outputs={"arn": "{id}", "arnSuffix": "targetgroup/{name}/{hex16}"},
    autoname="name",
    autoname_max=32,
    replace=_NAMED
    | {"port", "protocol", "vpcId", "targetType", "protocolVersion", "ipAddressType"},
    tags=True,
)
_LISTENER = Kind(
    id=_listener_id,
    outputs={"arn": "{id}", "sslPolicy": _ssl_policy},
    replace=frozenset({"loadBalancerArn"}),
    tags=True,
)
_LISTENER_RULE = Kind(
    id=_listener_rule_id, outputs={"arn": "{id}"}, replace=frozenset({"listenerArn"}), tags=True
)

KINDS: dict[str, Kind] = {
    "aws:kms/key:Key": Kind(
        id="{uuid}",
        outputs={"arn": _arn("kms", "key/{id}"), "keyId": "{id}"},
        replace=frozenset({"keyUsage", "customerMasterKeySpec", "keySpec", "multiRegion"}),
        tags=True,
    ),
    "aws:kms/alias:Alias": Kind(
        id="{name}",
        outputs={"arn": _arn("kms", "{name}"), "targetKeyArn": _alias_target_arn},
        replace=_NAMED,
    ),
    "aws:s3/bucket:Bucket": Kind(
        id="{bucket}",
        outputs={
            "arn": _arn("s3", "{bucket}", regional=False, account=False),
            "bucketDomainName": "{bucket}.s3.{dns_suffix}",
            "bucketRegionalDomainName": "{bucket}.s3.{region}.{dns_suffix}",
            "bucketRegion": "{region}",
            "hostedZoneId": _zone(S3_HOSTED_ZONE_IDS),
            "region": "{region}",
        },
        autoname="bucket",
        autoname_max=63,
        autoname_lower=True,
        replace=frozenset({"bucket", "bucketPrefix", "objectLockEnabled"}),
        tags=True,
    ),
    **{
        f"aws:s3/{module}:{module[0].upper()}{module[1:]}": _S3_SIDE
        for module in (
            "bucketServerSideEncryptionConfiguration",
            "bucketVersioning",
            "bucketPublicAccessBlock",
            "bucketOwnershipControls",
            "bucketPolicy",
            "bucketLifecycleConfiguration",
            "bucketLogging",
            "bucketAcl",
            "bucketCorsConfiguration",
            "bucketNotification",
        )
    },
    "aws:iam/role:Role": Kind(
        id="{name}",
        outputs={
            "arn": _arn("iam", "role/{name}", regional=False),
            "uniqueId": "AROA{HEX17}",
            "createDate": "2024-01-01T00:00:00Z",
        },
        autoname="name",
        autoname_max=64,
        replace=_NAMED,
        tags=True,
    ),
    "aws:iam/instanceProfile:InstanceProfile": Kind(
        id="{name}",
        outputs={
            "arn": _arn("iam", "instance-profile/{name}", regional=False),
            "uniqueId": "AIPA{HEX17}",
            "createDate": "2024-01-01T00:00:00Z",
        },
        autoname="name",
        autoname_max=128,
        replace=_NAMED,
        tags=True,
    ),
    "aws:iam/policy:Policy": Kind(
        id=_arn("iam", "policy/{name}", regional=False),
        outputs={"arn": "{id}", "policyId": "ANPA{HEX17}", "attachmentCount": lambda ctx: 0},
        autoname="name",
        autoname_max=128,
        replace=_NAMED | {"path", "description"},
        tags=True,
    ),
    "aws:iam/rolePolicy:RolePolicy": Kind(
        id="{role}:{name}", autoname="name", autoname_max=128, replace=_NAMED | {"role"}
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Kind(
        id="{role}-{digits10}", replace=frozenset({"role", "policyArn"})
    ),
    "aws:ec2/securityGroup:SecurityGroup": Kind(
        id="sg-{hex17}",
        outputs={
            "arn": _arn("ec2", "security-group/{id}"),
            "ownerId": "{account}",
            "vpcId": "{default_vpc}",
            "description": "Managed by Pulumi",
        },
        autoname="name",
        replace=_NAMED | {"vpcId", "description"},
        tags=True,
    ),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": Kind(
        id=lambda ctx: default_security_group_of(str(ctx["vpcId"])),
        outputs={
            "arn": _arn("ec2", "security-group/{id}"),
            "ownerId": "{account}",
            "name": "default",
            "description": "default VPC security group",
        },
        replace=frozenset({"vpcId"}),
        tags=True,
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _SG_RULE,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _SG_RULE,
    "aws:ec2/securityGroupRule:SecurityGroupRule": Kind(
        id="sgrule-{digits10}",
        outputs={"securityGroupRuleId": "sgr-{hex17}"},
        replace=frozenset(
            {"securityGroupId", "type", "fromPort", "toPort", "protocol", "cidrBlocks"}
            | {"sourceSecurityGroupId", "self", "prefixListIds"}
        ),
    ),
    "aws:ec2/vpc:Vpc": Kind(
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
        replace=frozenset({"cidrBlock", "instanceTenancy"}),
        tags=True,
    ),
    "aws:ec2/subnet:Subnet": Kind(
        id="subnet-{hex17}",
        outputs={
            "arn": _arn("ec2", "subnet/{id}"),
            "ownerId": "{account}",
            "availabilityZone": "{zone_a}",
            "availabilityZoneId": lambda ctx: zone_id(str(ctx["availabilityZone"])),
        },
        replace=frozenset(
            {"vpcId", "availabilityZone", "availabilityZoneId", "cidrBlock", "outpostArn"}
            | {"ipv6Native"}
        ),
        tags=True,
    ),
    "aws:ec2/internetGateway:InternetGateway": Kind(
        id="igw-{hex17}",
        outputs={"arn": _arn("ec2", "internet-gateway/{id}"), "ownerId": "{account}"},
        tags=True,
    ),
    "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment": Kind(
        id="{internetGatewayId}:{vpcId}", replace=frozenset({"internetGatewayId", "vpcId"})
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Kind(
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
        replace=frozenset({"vpcId", "serviceName", "vpcEndpointType"}),
        tags=True,
    ),
    "aws:ec2/flowLog:FlowLog": Kind(
        id="fl-{hex17}",
        outputs={"arn": _arn("ec2", "vpc-flow-log/{id}")},
        # CreateFlowLogs has no update call: every setting is fixed at creation.
        replace=frozenset(
            {"vpcId", "subnetId", "eniId", "transitGatewayId", "transitGatewayAttachmentId"}
            | {"logDestination", "logDestinationType", "iamRoleArn", "deliverCrossAccountRole"}
            | {"logFormat", "maxAggregationInterval", "trafficType", "destinationOptions"}
        ),
        tags=True,
    ),
    "aws:ec2/routeTable:RouteTable": Kind(
        id="rtb-{hex17}",
        outputs={"arn": _arn("ec2", "route-table/{id}"), "ownerId": "{account}"},
        replace=frozenset({"vpcId"}),
        tags=True,
    ),
    "aws:ec2/route:Route": Kind(
        id="r-{routeTableId}{digits10}", replace=frozenset({"routeTableId", "destinationCidrBlock"})
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Kind(
        id="rtbassoc-{hex17}", replace=frozenset({"subnetId", "gatewayId"})
    ),
    "aws:ec2/instance:Instance": Kind(
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
        replace=frozenset(
            {"ami", "availabilityZone", "subnetId", "keyName", "associatePublicIpAddress"}
            | {"launchTemplate", "placementGroup", "hostId", "ebsOptimized", "hibernation"}
        ),
        replace_when={
            "userData": "userDataReplaceOnChange",
            "userDataBase64": "userDataReplaceOnChange",
        },
        tags=True,
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": Kind(
        id="lt-{hex17}",
        outputs={
            "arn": _arn("ec2", "launch-template/{id}"),
            "latestVersion": lambda ctx: 1,
            "defaultVersion": lambda ctx: 1,
        },
        autoname="name",
        autoname_max=128,
        replace=_NAMED,
        tags=True,
        recomputed=frozenset({"latestVersion", "defaultVersion"}),
    ),
    "aws:autoscaling/group:Group": Kind(
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
        autoname="name",
        autoname_max=255,
        replace=_NAMED,
        tag_blocks=True,
    ),
    "aws:lb/loadBalancer:LoadBalancer": _LOAD_BALANCER,
    "aws:alb/loadBalancer:LoadBalancer": _LOAD_BALANCER,
    "aws:lb/targetGroup:TargetGroup": _TARGET_GROUP,
    "aws:alb/targetGroup:TargetGroup": _TARGET_GROUP,
    "aws:lb/listener:Listener": _LISTENER,
    "aws:alb/listener:Listener": _LISTENER,
    "aws:lb/listenerRule:ListenerRule": _LISTENER_RULE,
    "aws:alb/listenerRule:ListenerRule": _LISTENER_RULE,
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": Kind(
        id="{targetGroupArn}-{digits10}",
        replace=frozenset({"targetGroupArn", "targetId", "port", "availabilityZone"}),
    ),
    "aws:cloudwatch/logGroup:LogGroup": Kind(
        id="{name}",
        outputs={"arn": _arn("logs", "log-group:{name}"), "logGroupClass": "STANDARD"},
        autoname="name",
        autoname_max=512,
        replace=_NAMED | {"logGroupClass"},
        tags=True,
    ),
    "aws:kms/keyPolicy:KeyPolicy": Kind(id="{keyId}", replace=frozenset({"keyId"})),
    "aws:kms/grant:Grant": Kind(
        id=lambda ctx: "{}:{}".format(ctx["keyId"], ctx["hex16"] * 4),
        outputs={"grantId": lambda ctx: ctx["hex16"] * 4, "grantToken": "AQpAM{HEX17}"},
        replace=frozenset(
            {"keyId", "granteePrincipal", "operations", "constraints", "name"}
            | {"retiringPrincipal", "grantCreationTokens"}
        ),
    ),
    "aws:acm/certificate:Certificate": Kind(
        id=_arn("acm", "certificate/{uuid}"),
        outputs={"arn": "{id}", "status": "ISSUED", "type": "AMAZON_ISSUED"},
        replace=frozenset({"domainName", "privateKey", "certificateBody", "keyAlgorithm"}),
        tags=True,
    ),
    "aws:ssm/parameter:Parameter": Kind(
        id="{name}",
        outputs={
            "arn": lambda ctx: (
                _arn("ssm", "parameter").format_map(ctx)
                + ("" if str(ctx["name"]).startswith("/") else "/")
                + str(ctx["name"])
            ),
            "version": lambda ctx: 1,
        },
        autoname="name",
        autoname_max=2048,
        replace=_NAMED,
        tags=True,
    ),
}

GENERIC = Kind()
# v7 resources take a per-resource `region`; changing it always replaces the resource.
ALWAYS_REPLACE = frozenset({"region"})


def kind_of(type_: str) -> Kind:
    return KINDS.get(type_, GENERIC)


# -- rendering outputs ---------------------------------------------------------------------


def seed_for(urn: str, generation: int) -> str:
    """The per-resource randomness: fixed by the URN and how often that URN was created."""
    return digest(urn, str(generation))


def _context(type_: str, urn: str, inputs: Props, config: ProviderConfig, seed: str) -> _Context:
    values = plain(inputs)
    region = str(values.get("region") or config.region)
    regional = ProviderConfig(
        region=region, default_tags=config.default_tags, account=config.account
    )
    numbers = bytes.fromhex(seed[:16])
    second = digest(seed, "b")
    lb_type = values.get("loadBalancerType")
    context = _Context(
        config=regional,
        account=config.account,
        region=region,
        partition=regional.partition,
        dns_suffix=regional.dns_suffix,
        logical=urn.rsplit("::", 1)[-1],
        slug=type_.rsplit(":", 1)[-1].lower(),
        seed=seed,
        hex7=seed[:7],
        hex16=seed[:16],
        hex17=seed[:17],
        HEX17=seed[:17].upper(),
        hex17b=second[:17],
        uuid=str(uuid.UUID(seed[:32])),
        digits10=str(int(seed[:15], 16))[:10],
        o1=numbers[0],
        o2=numbers[1],
        o3=numbers[2],
        zone_a=zone_names(region)[0],
        zone_prefix=zone_id_prefix(region),
        default_vpc=default_vpc_id(regional),
        lb_kind={"network": "net", "gateway": "gwy"}.get(str(lb_type), "app"),
    )
    context.update(values)
    return context


def autoname_value(kind: Kind, logical: str, seed: str, prefix: str | None = None) -> str:
    """Pulumi's `<logical name>-<7 hex>`, or, given a name prefix, the provider's
    `<prefix><26 characters>` (Terraform's PrefixedUniqueId: a timestamp and a counter)."""
    if prefix:
        return prefix + str(int(seed[:20], 16)).zfill(26)[-18:] + seed[20:28]
    stem = logical.lower() if kind.autoname_lower else logical
    return f"{stem[: kind.autoname_max - 8]}-{seed[:7]}"


def _tags_all(inputs: Props, config: ProviderConfig) -> Any:
    tags = inputs.get("tags")
    if contains_unknown(tags):
        return UNKNOWN
    merged = {**dict(config.default_tags), **(plain(tags) or {})}
    return secret(merged) if contains_secret(tags) else merged


def render_outputs(
    type_: str,
    urn: str,
    inputs: Props,
    config: ProviderConfig,
    seed: str,
    *,
    resource_id: str | None = None,
    previous: Props | None = None,
) -> tuple[str, Props]:
    """(id, outputs) of a created or updated resource: the inputs echoed plus computed outputs.

    `previous` (the old outputs, on update) keeps an auto-generated name stable.
    """
    kind = kind_of(type_)
    inputs = dict(inputs)
    outputs: Props = dict(inputs)
    context = _context(type_, urn, inputs, config, seed)
    if kind.autoname and plain(inputs.get(kind.autoname)) in (None, ""):
        prefix = plain(inputs.get(kind.prefix_input or "")) or None
        name = (previous or {}).get(kind.autoname) or autoname_value(
            kind, context["logical"], seed, prefix
        )
        outputs[kind.autoname] = name
        context[kind.autoname] = plain(name)
    secret_inputs = {key for key, value in inputs.items() if contains_secret(value)}
    if resource_id is None:
        resource_id = str(_render(kind.id, context))
    context["id"] = resource_id
    for key, template in kind.outputs.items():
        if plain(inputs.get(key)) is not None:
            continue
        value = _render(template, context)
        if isinstance(template, str) and _fields(template) & secret_inputs:
            value = secret(value)
        outputs[key] = value
        context[key] = plain(value)
    if kind.tags or ("tags" in inputs and not kind.tag_blocks):
        outputs["tagsAll"] = _tags_all(inputs, config)
    outputs["id"] = resource_id
    return resource_id, outputs


def preview_outputs(type_: str, inputs: Props, config: ProviderConfig, olds: Props | None) -> Props:
    """Outputs during preview: what the real provider knows before it calls AWS.

    A create knows its inputs and `tagsAll`; every computed output is unknown. An update keeps
    the old computed outputs and takes the new inputs.
    """
    kind = kind_of(type_)
    if olds is None:
        outputs: Props = dict.fromkeys(kind.outputs, UNKNOWN)
        if kind.autoname:
            outputs[kind.autoname] = UNKNOWN
        outputs.update(inputs)
    else:
        outputs = {**olds, **inputs}
        changed = any(not same(olds.get(key), value) for key, value in inputs.items())
        if changed:
            outputs.update(dict.fromkeys(kind.recomputed, UNKNOWN))
    if kind.tags or ("tags" in inputs and not kind.tag_blocks):
        outputs["tagsAll"] = _tags_all(inputs, config)
    return outputs


# -- diff ----------------------------------------------------------------------------------


def replace_keys(type_: str, news: Props) -> frozenset[str]:
    """Inputs whose change replaces a resource of `type_`, given its new inputs."""
    kind = kind_of(type_)
    conditional = {key for key, flag in kind.replace_when.items() if plain(news.get(flag)) is True}
    return kind.replace | ALWAYS_REPLACE | conditional


# -- functions (invokes) ---------------------------------------------------------------------


class FunctionError(ValueError):
    """An invoke the stand-in cannot answer (unknown token, missing parameter...)."""


Function = Callable[[Props, ProviderConfig, Mapping[str, Any]], Props]


def _region(args: Props, config: ProviderConfig) -> str:
    return str(args.get("region") or args.get("name") or config.region)


def _caller_identity(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    return {
        "accountId": config.account,
        "arn": f"arn:{config.partition}:iam::{config.account}:user/standin-test-user",
        "id": config.account,
        "userId": "AIDA" + digest(config.account, "user")[:17].upper(),
    }


def _availability_zones(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    region = _region(args, config)
    excluded = set(args.get("excludeNames") or [])
    names = [name for name in zone_names(region) if name not in excluded]
    ids = [zone_id(name) for name in names]
    return {
        **args,
        "id": region,
        "region": region,
        "names": names,
        "zoneIds": ids,
        "groupNames": [region] * len(names),
        "state": args.get("state") or "available",
    }


_REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "Europe (Ireland)",
    "eu-central-1": "Europe (Frankfurt)",
}


def _get_region(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    region = _region(args, config)
    return {
        "id": region,
        "name": region,
        "region": region,
        "description": _REGION_NAMES.get(region, region),
        "endpoint": f"ec2.{region}.{config.dns_suffix}",
    }


def _partition(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    suffix = config.dns_suffix
    return {
        "id": config.partition,
        "partition": config.partition,
        "dnsSuffix": suffix,
        "reverseDnsPrefix": ".".join(reversed(suffix.split("."))),
    }


def public_ami_id(region: str, parameter: str) -> str:
    """The AMI id a public `/aws/service/ami-...` parameter resolves to in `region`."""
    return "ami-" + digest(region, parameter)[:17]


def _ssm_parameter(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    name = str(args.get("name", ""))
    region = _region({"region": args.get("region")}, config)
    owned = [
        record["outputs"]
        for record in cloud.get("resources", {}).values()
        if record["type"] == "aws:ssm/parameter:Parameter"
        and plain(record["outputs"]).get("name") == name
    ]
    if owned:
        value = plain(owned[0].get("value"))
        kind = plain(owned[0].get("type")) or "String"
        arn = plain(owned[0].get("arn"))
        version = plain(owned[0].get("version")) or 1
    elif name.startswith("/aws/service/ami-"):
        value, kind, version = public_ami_id(region, name), "String", 1
        arn = f"arn:{config.partition}:ssm:{region}::parameter{name}"
    else:
        raise FunctionError(
            f"ParameterNotFound: SSM parameter {name!r} does not exist in the stand-in cloud "
            "(public /aws/service/ami-* parameters and aws.ssm.Parameter resources do)"
        )
    return {
        "arn": arn,
        "id": name,
        "name": name,
        "region": region,
        "type": kind,
        "version": version,
        "withDecryption": args.get("withDecryption", True),
        # The real provider marks `value` secret; `insecureValue` is the same value in clear.
        "value": secret(value),
        "insecureValue": value,
    }


def _one_or_list(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _policy_statement(statement: Props) -> Props:
    rendered: Props = {
        "Sid": statement.get("sid", ""),
        "Effect": statement.get("effect") or "Allow",
    }
    for key, label in (("actions", "Action"), ("notActions", "NotAction")):
        if statement.get(key):
            rendered[label] = _one_or_list(list(statement[key]))
    for key, label in (("resources", "Resource"), ("notResources", "NotResource")):
        if statement.get(key):
            rendered[label] = _one_or_list(list(statement[key]))
    for key, label in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        principals = statement.get(key) or []
        if principals:
            block: dict[str, list[Any]] = {}
            for principal in principals:
                block.setdefault(principal["type"], []).extend(principal["identifiers"])
            if list(block) == ["*"] and block["*"] == ["*"]:
                rendered[label] = "*"
            else:
                rendered[label] = {kind: _one_or_list(ids) for kind, ids in block.items()}
    conditions = statement.get("conditions") or []
    if conditions:
        block_conditions: dict[str, dict[str, Any]] = {}
        for condition in conditions:
            tests = block_conditions.setdefault(condition["test"], {})
            tests[condition["variable"]] = _one_or_list(list(condition["values"]))
        rendered["Condition"] = block_conditions
    return rendered


def _merge_statements(base: list[Props], extra: list[Props]) -> list[Props]:
    """Later statements replace earlier ones with the same non-empty Sid, as in the provider."""
    merged = list(base)
    for statement in extra:
        sid = statement.get("Sid")
        index = next((i for i, old in enumerate(merged) if sid and old.get("Sid") == sid), None)
        if index is None:
            merged.append(statement)
        else:
            merged[index] = statement
    return merged


def _policy_document(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    statements: list[Props] = []
    for source in args.get("sourcePolicyDocuments") or []:
        statements = _merge_statements(statements, json.loads(source).get("Statement", []))
    own = [_policy_statement(statement) for statement in args.get("statements") or []]
    statements = _merge_statements(statements, own)
    for override in args.get("overridePolicyDocuments") or []:
        statements = _merge_statements(statements, json.loads(override).get("Statement", []))
    document: Props = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    document["Statement"] = statements
    text = json.dumps(document, indent=2)
    return {
        **args,
        "id": str(int(digest(text)[:8], 16)),
        "json": text,
        "minifiedJson": json.dumps(document, separators=(",", ":")),
    }


def _vpc(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    vpc_id = default_vpc_id(config)
    if args.get("id") not in (None, vpc_id) or args.get("default") is False:
        raise FunctionError("the stand-in only knows the default VPC; ask for it with default=True")
    return {
        **args,
        "id": vpc_id,
        "arn": f"arn:{config.partition}:ec2:{config.region}:{config.account}:vpc/{vpc_id}",
        "cidrBlock": "172.31.0.0/16",
        "default": True,
        "enableDnsSupport": True,
        "enableDnsHostnames": True,
        "mainRouteTableId": default_route_table_id(config),
        "ownerId": config.account,
        "state": "available",
        "region": config.region,
    }


def _subnets(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    ids = [default_subnet_id(config, zone) for zone in zone_names(config.region)]
    return {**args, "id": config.region, "ids": ids, "region": config.region}


def _subnet(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    zones = zone_names(config.region)
    by_id = {default_subnet_id(config, zone): zone for zone in zones}
    zone = by_id.get(str(args.get("id"))) or args.get("availabilityZone") or zones[0]
    subnet_id = default_subnet_id(config, str(zone))
    return {
        **args,
        "id": subnet_id,
        "arn": f"arn:{config.partition}:ec2:{config.region}:{config.account}:subnet/{subnet_id}",
        "availabilityZone": zone,
        "vpcId": default_vpc_id(config),
        "cidrBlock": default_subnet_cidr(str(zone)),
        "defaultForAz": True,
        "ownerId": config.account,
        "region": config.region,
    }


def _ami(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    key = json.dumps(plain(args), sort_keys=True)
    image = "ami-" + digest(config.region, key)[:17]
    return {
        **args,
        "id": image,
        "imageId": image,
        "arn": f"arn:{config.partition}:ec2:{config.region}::image/{image}",
        "architecture": "x86_64",
        "name": "al2023-ami-standin-x86_64",
        "ownerId": "137112412989",
        "rootDeviceName": "/dev/xvda",
        "state": "available",
    }


def _elb_service_account(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    region = _region(args, config)
    account = ELB_LOG_ACCOUNTS.get(region)
    if account is None:
        # The provider's data source knows only the regions AWS published an account for.
        raise FunctionError(f"unknown region ({region}): no Elastic Load Balancing account")
    return {"id": account, "arn": f"arn:{config.partition}:iam::{account}:root", "region": region}


FUNCTIONS: dict[str, Function] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getRegion:getRegion": _get_region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:ssm/getParameter:getParameter": _ssm_parameter,
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:ec2/getVpc:getVpc": _vpc,
    "aws:ec2/getSubnets:getSubnets": _subnets,
    "aws:ec2/getSubnet:getSubnet": _subnet,
    "aws:ec2/getAmi:getAmi": _ami,
    "aws:elb/getServiceAccount:getServiceAccount": _elb_service_account,
}


def invoke(token: str, args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    function = FUNCTIONS.get(token)
    if function is None:
        raise FunctionError(
            f"function {token!r} is not implemented by the stand-in; add it to "
            "FUNCTIONS in tests/engine/standin_aws/catalog.py"
        )
    return function(plain(args), config, cloud)
