"""The placeholder values the offline plan answers with: one table per resource type and invoke.

Placeholders are shaped like the real thing (ARNs of the right service, partition, region and
resource type, `vpc-...`/`i-...` ids, ALB DNS names) so programs and rules see realistic values,
and they are recognisable as placeholders: every account id is `PLACEHOLDER_ACCOUNT_ID`
(111122223333, the example account AWS's own documentation uses; not LocalStack's 000000000000
nor moto's 123456789012, so a plan can never be mistaken for an emulator run), generated ids
start with `PLACEHOLDER_ID_PREFIX` ("0000") and public IPs come from TEST-NET-3
(203.0.113.0/24, RFC 5737).

`KINDS` says per type token the id and the computed outputs, as templates over the inputs and a
per-resource context; which input AWS names is the type table's (`shared.aws_types`), the AWS
facts (partitions, zones, hosted-zone ids) are `shared.aws_facts`'. All is deterministic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared import aws_types as t
from shared.aws_facts import (
    AL2023_AMI_PARAMETER,
    AUTOSCALING_SERVICE_ROLE_PATH,
    ELB_HOSTED_ZONE_IDS,
    ELB_LOG_ACCOUNTS,
    S3_HOSTED_ZONE_IDS,
    dns_suffix,
    partition_of,
    zone_id,
    zone_names,
)

PLACEHOLDER_ACCOUNT_ID = "111122223333"
PLACEHOLDER_ID_PREFIX = "0000"
PLACEHOLDER_AMI_ID = "ami-00000000000000000"
# The SSM public parameters the programs may read, answered with the placeholder AMI id.
PUBLIC_AMI_PARAMETERS = frozenset({AL2023_AMI_PARAMETER})

# A string formatted with the context (`"{bucket}.s3.{region}.{dns_suffix}"`), or a function of it.
Template = str | Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Kind:
    """How the placeholders of one resource type are made."""

    id: Template
    outputs: Mapping[str, Template] = field(default_factory=dict)


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        raise KeyError(f"placeholder template field {key!r} is neither an input nor computed")


def _render(template: Template, context: Mapping[str, Any]) -> Any:
    return template(context) if callable(template) else template.format_map(context)


def _arn(service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
    region = "{region}" if regional else ""
    owner = "{account}" if account else ""
    return f"arn:{{partition}}:{service}:{region}:{owner}:{resource}"


def _hosted_zone(table: Mapping[str, str]) -> Callable[[Mapping[str, Any]], str]:
    return lambda ctx: table.get(ctx["region"], f"Z{PLACEHOLDER_ID_PREFIX}{ctx['HEX17'][:9]}")


def _ec2(prefix: str, arn_kind: str, **outputs: Template) -> Kind:
    return Kind(
        id=f"{prefix}-{{hex17}}", outputs={"arn": _arn("ec2", f"{arn_kind}/{{id}}"), **outputs}
    )


def _public_ip(ctx: Mapping[str, Any]) -> str:
    return f"203.0.113.{ctx['octet']}" if ctx.get("associatePublicIpAddress") else ""


def _public_dns(ctx: Mapping[str, Any]) -> str:
    address = _public_ip(ctx).replace(".", "-")
    return f"ec2-{address}.{ctx['region']}.compute.{ctx['dns_suffix']}" if address else ""


def _alias_target_arn(ctx: Mapping[str, Any]) -> str:
    target = str(ctx["targetKeyId"])
    return target if target.startswith("arn:") else _arn("kms", "key/").format_map(ctx) + target


def _listener_id(ctx: Mapping[str, Any]) -> str:
    balancer = str(ctx["loadBalancerArn"])
    return f"{balancer.replace(':loadbalancer/', ':listener/')}/{ctx['hex16']}"


_SECURITY_GROUP = _ec2("sg", "security-group")
_SECURITY_GROUP_RULE = _ec2("sgr", "security-group-rule", securityGroupRuleId="{id}")

KINDS: dict[str, Kind] = {
    t.KMS_KEY: Kind(id="{uuid}", outputs={"arn": _arn("kms", "key/{id}"), "keyId": "{id}"}),
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
            "hostedZoneId": _hosted_zone(S3_HOSTED_ZONE_IDS),
        },
    ),
    **dict.fromkeys(t.BUCKET_SIDE_RESOURCES, Kind(id="{bucket}")),
    t.VPC: _ec2(
        "vpc",
        "vpc",
        defaultSecurityGroupId="sg-{hex17}",
        mainRouteTableId="rtb-{hex17}",
        defaultRouteTableId="rtb-{hex17}",
        defaultNetworkAclId="acl-{hex17}",
        ownerId="{account}",
    ),
    t.SUBNET: _ec2("subnet", "subnet"),
    t.INTERNET_GATEWAY: _ec2("igw", "internet-gateway"),
    t.ROUTE_TABLE: _ec2("rtb", "route-table"),
    t.ROUTE_TABLE_ASSOCIATION: Kind(id="rtbassoc-{hex17}"),
    t.ROUTE: Kind(id="r-rtb-{hex17}"),
    t.SECURITY_GROUP: _SECURITY_GROUP,
    t.DEFAULT_SECURITY_GROUP: _SECURITY_GROUP,
    t.SECURITY_GROUP_INGRESS_RULE: _SECURITY_GROUP_RULE,
    t.SECURITY_GROUP_EGRESS_RULE: _SECURITY_GROUP_RULE,
    t.INSTANCE: _ec2(
        "i",
        "instance",
        publicIp=_public_ip,
        publicDns=_public_dns,
        privateIp="10.0.{octet2}.{octet}",
        privateDns="ip-10-0-{octet2}-{octet}.{region}.compute.internal",
        instanceState="running",
        primaryNetworkInterfaceId="eni-{hex17}",
    ),
    t.LAUNCH_TEMPLATE: Kind(
        id="lt-{hex17}",
        outputs={
            "arn": _arn("ec2", "launch-template/{id}"),
            "latestVersion": lambda ctx: 1,
            "defaultVersion": lambda ctx: 1,
        },
    ),
    t.AUTOSCALING_GROUP: Kind(
        id="{name}",
        outputs={
            "arn": _arn("autoscaling", "autoScalingGroup:{uuid}:autoScalingGroupName/{name}"),
            "serviceLinkedRoleArn": _arn("iam", f"{AUTOSCALING_SERVICE_ROLE_PATH}", regional=False),
        },
    ),
    t.IAM_ROLE: Kind(
        id="{name}",
        outputs={"arn": _arn("iam", "role/{name}", regional=False), "uniqueId": "AROA{HEX17}"},
    ),
    t.IAM_INSTANCE_PROFILE: Kind(
        id="{name}",
        outputs={
            "arn": _arn("iam", "instance-profile/{name}", regional=False),
            "uniqueId": "AIPA{HEX17}",
        },
    ),
    t.IAM_ROLE_POLICY: Kind(id="{role}:{name}"),
    t.IAM_ROLE_POLICY_ATTACHMENT: Kind(id="{role}-{hex20}"),
    t.LOAD_BALANCER: Kind(
        id=_arn("elasticloadbalancing", "loadbalancer/app/{name}/{hex16}"),
        outputs={
            "arn": "{id}",
            "arnSuffix": "app/{name}/{hex16}",
            "dnsName": "{name}-{digits9}.{region}.elb.{dns_suffix}",
            "zoneId": _hosted_zone(ELB_HOSTED_ZONE_IDS),
        },
    ),
    t.TARGET_GROUP: Kind(
        id=_arn("elasticloadbalancing", "targetgroup/{name}/{hex16}"),
        outputs={"arn": "{id}", "arnSuffix": "targetgroup/{name}/{hex16}"},
    ),
    t.LISTENER: Kind(id=_listener_id, outputs={"arn": "{id}"}),
    t.TARGET_GROUP_ATTACHMENT: Kind(id="{targetGroupArn}-{hex20}"),
    t.VPC_ENDPOINT: _ec2(
        "vpce",
        "vpc-endpoint",
        # A gateway endpoint's service has a managed prefix list (security groups name it).
        prefixListId=lambda ctx: (
            f"pl-{ctx['hex17'][:8]}" if ctx.get("vpcEndpointType") == "Gateway" else None
        ),
        state="available",
    ),
    t.FLOW_LOG: _ec2("fl", "vpc-flow-log"),
    t.LOG_GROUP: Kind(id="{name}", outputs={"arn": _arn("logs", "log-group:{name}")}),
}


def placeholder_state(
    type_: str, name: str, inputs: Mapping[str, Any], *, account: str, region: str
) -> tuple[str, dict[str, Any]]:
    """(id, state) of an AWS resource: its inputs, plus the outputs AWS would compute.

    `region` is the one of the resource's provider; a resource's own `region` input wins. A
    type without an entry is refused rather than given invented outputs a program might read.
    """
    kind = KINDS.get(type_)
    if kind is None:
        raise NotImplementedError(
            f"the offline plan has no placeholders for {type_} ({name}): add its outputs to "
            "KINDS in orchestration/plan/placeholders.py (and its row to shared/aws_types/)"
        )
    context = _context(type_, name, inputs, account, str(inputs.get("region") or region))
    computed: dict[str, Any] = {}
    row = t.TYPES.get(type_)
    if row is not None and (auto := row.autoname) is not None:
        # AWS's name when none is given: `<logical name>-<7 hex>`, or `<prefix><26 digits>`
        # (the provider's unique suffix) given `<autoname>Prefix`.
        given, prefix = inputs.get(auto.input), inputs.get(auto.prefix_input)
        if not (isinstance(given, str) and given):
            stem = name.lower() if auto.lower else name
            given = f"{stem[: auto.max_length - 8]}-{context['hex7']}"
            given = prefix + context["digits26"] if isinstance(prefix, str) and prefix else given
        context[auto.input] = computed[auto.input] = given
    resource_id = str(_render(kind.id, context))
    context["id"] = resource_id
    for key, template in kind.outputs.items():
        context[key] = computed[key] = _render(template, context)
    state = {**inputs, **computed}
    if context["region"]:
        state.setdefault("region", context["region"])
    return resource_id, state


def placeholder_uuid(seed: str) -> str:
    """A UUID-shaped placeholder (KMS key ids, provider ids) derived from `seed`."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    head = f"{PLACEHOLDER_ID_PREFIX}{digest[:4]}"
    return f"{head}-{digest[4:8]}-4{digest[8:11]}-8{digest[11:14]}-{digest[14:26]}"


def _context(
    type_: str, name: str, inputs: Mapping[str, Any], account: str, region: str
) -> _Context:
    digest = hashlib.sha256(f"{type_}::{name}".encode()).hexdigest()
    module, kind = type_.split(":")[1].split("/", maxsplit=1)[0], type_.rsplit(":", 1)[-1].lower()
    partition = partition_of(region)
    # Computed fields win over inputs of the same name, so a template always means the same.
    return _Context(
        {
            **inputs,
            "account": account,
            "region": region,
            "partition": partition,
            "dns_suffix": dns_suffix(partition),
            "module": module,
            "kind": kind,
            "hex7": digest[:7],
            "hex16": PLACEHOLDER_ID_PREFIX + digest[:12],
            "hex17": PLACEHOLDER_ID_PREFIX + digest[:13],
            "hex20": PLACEHOLDER_ID_PREFIX + digest[:16],
            "HEX17": digest[:17].upper(),
            "uuid": placeholder_uuid(digest),
            "digits9": str(int(digest[:8], 16) % 10**9),
            "digits26": str(int(digest[:24], 16) % 10**26).zfill(26),
            "octet": int(digest[:2], 16) % 254 + 1,
            "octet2": int(digest[2:4], 16) % 256,
        }
    )


# -- functions (invokes) ------------------------------------------------------------------------

# (arguments, account id, region) -> the function's result.
Function = Callable[[Mapping[str, Any], str, str], dict[str, Any]]


def _caller_identity(_args: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
    return {
        "accountId": account,
        "arn": f"arn:{partition_of(region)}:sts::{account}:assumed-role/offline-plan/placeholder",
        "userId": "AROAPLACEHOLDER:placeholder",
        "id": account,
    }


def _partition(_args: Mapping[str, Any], _account: str, region: str) -> dict[str, Any]:
    partition = partition_of(region)
    suffix = dns_suffix(partition)
    return {
        "partition": partition,
        "dnsSuffix": suffix,
        "reverseDnsPrefix": ".".join(reversed(suffix.split("."))),
        "id": partition,
    }


def _region(_args: Mapping[str, Any], _account: str, region: str) -> dict[str, Any]:
    return {
        "name": region,
        "region": region,
        "id": region,
        "endpoint": f"ec2.{region}.{dns_suffix(partition_of(region))}",
        "description": region,
    }


def _availability_zones(_args: Mapping[str, Any], _account: str, region: str) -> dict[str, Any]:
    names = zone_names(region)
    return {
        "id": region,
        "names": names,
        "zoneIds": [zone_id(name) for name in names],
        "groupNames": [region] * len(names),
        "state": "available",
    }


def _ssm_parameter(args: Mapping[str, Any], _account: str, region: str) -> dict[str, Any]:
    name = str(args.get("name", ""))
    if name not in PUBLIC_AMI_PARAMETERS:
        known = ", ".join(sorted(PUBLIC_AMI_PARAMETERS))
        raise ValueError(f"the offline evaluation knows no SSM parameter {name!r}; known: {known}")
    return {
        "id": name,
        "name": name,
        "arn": f"arn:{partition_of(region)}:ssm:{region}::parameter{name}",
        "type": "String",
        "value": PLACEHOLDER_AMI_ID,
        "insecureValue": PLACEHOLDER_AMI_ID,
        "version": 1,
        "withDecryption": bool(args.get("withDecryption", True)),
    }


def _ami(args: Mapping[str, Any], _account: str, region: str) -> dict[str, Any]:
    """A pinned image, looked up by name: the placeholder AMI under the name asked for."""
    names = [
        value
        for given in args.get("filters") or []
        if given.get("name") == "name"
        for value in given.get("values") or []
    ]
    if len(names) != 1:
        raise ValueError(f"the offline evaluation looks images up by one name, not {names!r}")
    return {
        "id": PLACEHOLDER_AMI_ID,
        "imageId": PLACEHOLDER_AMI_ID,
        "name": names[0],
        "arn": f"arn:{partition_of(region)}:ec2:{region}::image/{PLACEHOLDER_AMI_ID}",
        "owners": list(args.get("owners") or []),
        "architecture": "x86_64",
        "rootDeviceName": "/dev/xvda",
        "state": "available",
    }


def _elb_service_account(_args: Mapping[str, Any], _account: str, region: str) -> dict[str, Any]:
    account = ELB_LOG_ACCOUNTS.get(region)
    if account is None:
        # As the provider does: a region opened after August 2022 has no such account.
        raise ValueError(
            f"Elastic Load Balancing has no log delivery account in {region}: regions opened "
            "after August 2022 take the service principal "
            "logdelivery.elasticloadbalancing.amazonaws.com, which the programs do not use"
        )
    arn = f"arn:{partition_of(region)}:iam::{account}:root"
    return {"id": account, "arn": arn, "region": region}


FUNCTIONS: dict[str, Function] = {
    t.GET_CALLER_IDENTITY: _caller_identity,
    t.GET_PARTITION: _partition,
    t.GET_REGION: _region,
    t.GET_AVAILABILITY_ZONES: _availability_zones,
    t.GET_SSM_PARAMETER: _ssm_parameter,
    t.GET_AMI: _ami,
    t.GET_ELB_SERVICE_ACCOUNT: _elb_service_account,
}


def placeholder_result(
    token: str, args: Mapping[str, Any], *, account: str, region: str
) -> dict[str, Any]:
    """The result of an invoke; NotImplementedError naming the known ones for any other.

    `region` is the one of the call's provider; a `region` argument wins, as in pulumi-aws v7.
    """
    function = FUNCTIONS.get(token)
    if function is None:
        known = ", ".join(sorted(FUNCTIONS))
        raise NotImplementedError(
            f"the offline evaluation has no answer for {token!r}; known calls: {known} "
            "(add one to FUNCTIONS in orchestration/plan/placeholders.py)"
        )
    return function(args, account, str(args.get("region") or region))
