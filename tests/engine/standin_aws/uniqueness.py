"""TEST-ONLY stand-in AWS provider: the names AWS keeps unique, and how it refuses a second one.

Pulumi replaces a resource by creating the new one before deleting the old one, so a fixed
physical name collides with itself on every replacement unless the name's namespace allows two.
Each rule says which types share a namespace, which value is the name, what the namespace is
(a partition, a region, a VPC, a load balancer) and the refusal. ELBv2's Create calls are
idempotent: the same name with the same settings returns the existing resource, only different
settings are refused (`same_settings`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from standin_aws import lookups
from standin_aws.catalog import ProviderConfig, default_vpc_id
from standin_aws.change import Change
from standin_aws.errors import AwsError, ProviderError, autoscaling, ec2, elbv2
from standin_aws.wire import Props, plain, same

Refusal = Callable[[str, lookups.Record, Props], Exception]
Scope = Callable[[Mapping[str, Any], str, ProviderConfig], str]

BUCKET_TAKEN = (
    "The requested bucket name is not available. The bucket namespace is shared by all users "
    "of the system. Please select a different name and try again."
)


@dataclass(frozen=True)
class Unique:
    family: tuple[str, ...]
    key: str
    scope: Scope
    refuse: Refusal
    # Inputs compared for ELBv2's idempotent creates; None: any second creation is refused.
    same_settings: frozenset[str] | None = None


def _partition(outputs: Mapping[str, Any], region: str, config: ProviderConfig) -> str:
    return config.partition


def _region(outputs: Mapping[str, Any], region: str, config: ProviderConfig) -> str:
    return region


def _vpc(outputs: Mapping[str, Any], region: str, config: ProviderConfig) -> str:
    return str(plain(outputs.get("vpcId")) or default_vpc_id(config))


def _load_balancer(outputs: Mapping[str, Any], region: str, config: ProviderConfig) -> str:
    return str(plain(outputs.get("loadBalancerArn")))


def _bucket(name: str, existing: lookups.Record, outputs: Props) -> Exception:
    return AwsError(
        f"creating S3 Bucket ({name})",
        "S3",
        "CreateBucket",
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
        status=409,
    )


def _security_group(name: str, existing: lookups.Record, outputs: Props) -> Exception:
    vpc = lookups.out(existing, "vpcId")
    return ec2(
        f"creating Security Group ({name})",
        "CreateSecurityGroup",
        "InvalidGroup.Duplicate",
        f"The security group '{name}' already exists for VPC '{vpc}'",
    )


def _target_group(name: str, existing: lookups.Record, outputs: Props) -> Exception:
    return elbv2(
        f"creating ELBv2 Target Group ({name})",
        "CreateTargetGroup",
        "DuplicateTargetGroupName",
        f"A target group with the same name '{name}' exists, but with different settings",
    )


def _load_balancer_name(name: str, existing: lookups.Record, outputs: Props) -> Exception:
    kind = plain(outputs.get("loadBalancerType")) or "application"
    if (lookups.out(existing, "loadBalancerType") or "application") == kind:
        # terraform-provider-aws looks the name up itself and refuses before calling AWS.
        return ProviderError(f"ELBv2 Load Balancer ({name}) already exists")
    return elbv2(
        f"creating ELBv2 {kind} Load Balancer ({name})",
        "CreateLoadBalancer",
        "DuplicateLoadBalancerName",
        f"A load balancer with the same name '{name}' exists, but with different settings",
    )


def _listener(port: str, existing: lookups.Record, outputs: Props) -> Exception:
    balancer = plain(outputs.get("loadBalancerArn"))
    return elbv2(
        f"creating ELBv2 Listener ({balancer})",
        "CreateListener",
        "DuplicateListener",
        f"A listener already exists on this port for this load balancer '{balancer}'",
    )


def _launch_template(name: str, existing: lookups.Record, outputs: Props) -> Exception:
    return ec2(
        f"creating EC2 Launch Template ({name})",
        "CreateLaunchTemplate",
        "InvalidLaunchTemplateName.AlreadyExistsException",
        "Launch template name already in use.",
    )


def _autoscaling_group(name: str, existing: lookups.Record, outputs: Props) -> Exception:
    return autoscaling(
        f"creating Auto Scaling Group ({name})",
        "CreateAutoScalingGroup",
        "AlreadyExists",
        f"AutoScalingGroup by this name already exists - A group with the name {name} "
        "already exists",
    )


def _log_group(name: str, existing: lookups.Record, outputs: Props) -> Exception:
    return AwsError(
        f"creating CloudWatch Logs Log Group ({name})",
        "CloudWatch Logs",
        "CreateLogGroup",
        "ResourceAlreadyExistsException",
        "The specified log group already exists",
    )


def _iam(noun: str, operation: str) -> Refusal:
    def refuse(name: str, existing: lookups.Record, outputs: Props) -> Exception:
        return AwsError(
            f"creating IAM {noun} ({name})",
            "IAM",
            operation,
            "EntityAlreadyExists",
            f"{noun} with name {name} already exists."
            if noun == "Role"
            else f"{noun} {name} already exists.",
            status=409,
        )

    return refuse


def _alias(name: str, existing: lookups.Record, outputs: Props) -> Exception:
    arn = str(lookups.out(existing, "arn"))
    return AwsError(
        f"creating KMS Alias ({name})",
        "KMS",
        "CreateAlias",
        "AlreadyExistsException",
        f"An alias with the name {arn} already exists",
    )


RULES: dict[str, Unique] = {
    lookups.BUCKET: Unique((lookups.BUCKET,), "bucket", _partition, _bucket),
    lookups.SECURITY_GROUP: Unique((lookups.SECURITY_GROUP,), "name", _vpc, _security_group),
    **{
        type_: Unique(
            lookups.TARGET_GROUPS,
            "name",
            _region,
            _target_group,
            frozenset({"port", "protocol", "vpcId", "targetType", "protocolVersion"})
            | {"healthCheck", "ipAddressType"},
        )
        for type_ in lookups.TARGET_GROUPS
    },
    **{
        type_: Unique(lookups.LOAD_BALANCERS, "name", _region, _load_balancer_name)
        for type_ in lookups.LOAD_BALANCERS
    },
    **{
        type_: Unique(
            lookups.LISTENERS,
            "port",
            _load_balancer,
            _listener,
            frozenset({"port", "protocol", "defaultActions", "certificateArn", "sslPolicy"}),
        )
        for type_ in lookups.LISTENERS
    },
    lookups.LAUNCH_TEMPLATE: Unique((lookups.LAUNCH_TEMPLATE,), "name", _region, _launch_template),
    lookups.AUTOSCALING_GROUP: Unique(
        (lookups.AUTOSCALING_GROUP,), "name", _region, _autoscaling_group
    ),
    "aws:cloudwatch/logGroup:LogGroup": Unique(
        ("aws:cloudwatch/logGroup:LogGroup",), "name", _region, _log_group
    ),
    "aws:iam/role:Role": Unique(
        ("aws:iam/role:Role",), "name", _partition, _iam("Role", "CreateRole")
    ),
    "aws:iam/instanceProfile:InstanceProfile": Unique(
        ("aws:iam/instanceProfile:InstanceProfile",),
        "name",
        _partition,
        _iam("Instance Profile", "CreateInstanceProfile"),
    ),
    lookups.KMS_ALIAS: Unique((lookups.KMS_ALIAS,), "name", _region, _alias),
}


def existing_twin(change: Change) -> lookups.Record | None:
    """The live resource an idempotent create returns instead; raises AWS's refusal when the
    name is taken in its namespace; None when the name is free."""
    rule = RULES.get(change.type_)
    if rule is None:
        return None
    value = plain(change.outputs.get(rule.key))
    if change.type_ == lookups.BUCKET and value in change.data.get("taken", {}).get("buckets", []):
        raise AwsError(
            f"creating S3 Bucket ({value})",
            "S3",
            "CreateBucket",
            "BucketAlreadyExists",
            BUCKET_TAKEN,
            status=409,
        )
    scope = rule.scope(change.outputs, change.region, change.config)
    for record in lookups.records(change.data, *rule.family):
        if plain(record["outputs"].get(rule.key)) != value:
            continue
        region = record.get("region") or change.region
        if rule.scope(record["outputs"], region, change.config) != scope:
            continue
        if rule.same_settings is not None and all(
            same(record["inputs"].get(key), change.inputs.get(key)) for key in rule.same_settings
        ):
            return record
        raise rule.refuse(str(value), record, change.outputs)
    return None
