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

from shared import aws_types as t
from tests.engine.standin_aws import lookups
from tests.engine.standin_aws.account import ProviderConfig, default_vpc_id
from tests.engine.standin_aws.change import Change
from tests.engine.standin_aws.errors import AwsError, ProviderError
from tests.engine.standin_aws.wire import Props, plain, same

Refusal = Callable[[str, lookups.Record, Props], Exception]
Scope = Callable[[Mapping[str, Any], str, ProviderConfig], str]

ELBV2 = "Elastic Load Balancing v2"
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


def _refusal(
    action: str, service: str, operation: str, code: str, message: str, *, status: int = 400
) -> Refusal:
    """AWS's refusal; `action` and `message` are templates over {name} (the taken value),
    {vpc} and {arn} (of the existing resource) and {balancer} (the new one's load balancer)."""

    def refuse(name: str, existing: lookups.Record, outputs: Props) -> Exception:
        values = {
            "name": name,
            "vpc": lookups.out(existing, "vpcId"),
            "arn": lookups.out(existing, "arn"),
            "balancer": plain(outputs.get("loadBalancerArn")),
        }
        return AwsError(
            action.format(**values),
            service,
            operation,
            code,
            message.format(**values),
            status=status,
        )

    return refuse


def _load_balancer_name(name: str, existing: lookups.Record, outputs: Props) -> Exception:
    kind = plain(outputs.get("loadBalancerType")) or "application"
    if (lookups.out(existing, "loadBalancerType") or "application") == kind:
        # terraform-provider-aws looks the name up itself and refuses before calling AWS.
        return ProviderError(f"ELBv2 Load Balancer ({name}) already exists")
    return _refusal(
        f"creating ELBv2 {kind} Load Balancer ({{name}})",
        ELBV2,
        "CreateLoadBalancer",
        "DuplicateLoadBalancerName",
        "A load balancer with the same name '{name}' exists, but with different settings",
    )(name, existing, outputs)


def _family(types: tuple[str, ...], rule: Unique) -> dict[str, Unique]:
    return dict.fromkeys(types, rule)


RULES: dict[str, Unique] = {
    t.BUCKET: Unique(
        (t.BUCKET,),
        "bucket",
        _partition,
        _refusal(
            "creating S3 Bucket ({name})",
            "S3",
            "CreateBucket",
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
            status=409,
        ),
    ),
    t.SECURITY_GROUP: Unique(
        (t.SECURITY_GROUP,),
        "name",
        _vpc,
        _refusal(
            "creating Security Group ({name})",
            "EC2",
            "CreateSecurityGroup",
            "InvalidGroup.Duplicate",
            "The security group '{name}' already exists for VPC '{vpc}'",
        ),
    ),
    **_family(
        lookups.TARGET_GROUPS,
        Unique(
            lookups.TARGET_GROUPS,
            "name",
            _region,
            _refusal(
                "creating ELBv2 Target Group ({name})",
                ELBV2,
                "CreateTargetGroup",
                "DuplicateTargetGroupName",
                "A target group with the same name '{name}' exists, but with different settings",
            ),
            frozenset({"port", "protocol", "vpcId", "targetType", "protocolVersion"})
            | {"healthCheck", "ipAddressType"},
        ),
    ),
    **_family(
        lookups.LOAD_BALANCERS,
        Unique(lookups.LOAD_BALANCERS, "name", _region, _load_balancer_name),
    ),
    **_family(
        lookups.LISTENERS,
        Unique(
            lookups.LISTENERS,
            "port",
            _load_balancer,
            _refusal(
                "creating ELBv2 Listener ({balancer})",
                ELBV2,
                "CreateListener",
                "DuplicateListener",
                "A listener already exists on this port for this load balancer '{balancer}'",
            ),
            frozenset({"port", "protocol", "defaultActions", "certificateArn", "sslPolicy"}),
        ),
    ),
    t.LAUNCH_TEMPLATE: Unique(
        (t.LAUNCH_TEMPLATE,),
        "name",
        _region,
        _refusal(
            "creating EC2 Launch Template ({name})",
            "EC2",
            "CreateLaunchTemplate",
            "InvalidLaunchTemplateName.AlreadyExistsException",
            "Launch template name already in use.",
        ),
    ),
    t.AUTOSCALING_GROUP: Unique(
        (t.AUTOSCALING_GROUP,),
        "name",
        _region,
        _refusal(
            "creating Auto Scaling Group ({name})",
            "Auto Scaling",
            "CreateAutoScalingGroup",
            "AlreadyExists",
            "AutoScalingGroup by this name already exists - A group with the name {name} "
            "already exists",
        ),
    ),
    t.LOG_GROUP: Unique(
        (t.LOG_GROUP,),
        "name",
        _region,
        _refusal(
            "creating CloudWatch Logs Log Group ({name})",
            "CloudWatch Logs",
            "CreateLogGroup",
            "ResourceAlreadyExistsException",
            "The specified log group already exists",
        ),
    ),
    t.IAM_ROLE: Unique(
        (t.IAM_ROLE,),
        "name",
        _partition,
        _refusal(
            "creating IAM Role ({name})",
            "IAM",
            "CreateRole",
            "EntityAlreadyExists",
            "Role with name {name} already exists.",
            status=409,
        ),
    ),
    t.IAM_INSTANCE_PROFILE: Unique(
        (t.IAM_INSTANCE_PROFILE,),
        "name",
        _partition,
        _refusal(
            "creating IAM Instance Profile ({name})",
            "IAM",
            "CreateInstanceProfile",
            "EntityAlreadyExists",
            "Instance Profile {name} already exists.",
            status=409,
        ),
    ),
    t.KMS_ALIAS: Unique(
        (t.KMS_ALIAS,),
        "name",
        _region,
        _refusal(
            "creating KMS Alias ({name})",
            "KMS",
            "CreateAlias",
            "AlreadyExistsException",
            "An alias with the name {arn} already exists",
        ),
    ),
}


def existing_twin(change: Change) -> lookups.Record | None:
    """The live resource an idempotent create returns instead; raises AWS's refusal when the
    name is taken in its namespace; None when the name is free."""
    rule = RULES.get(change.type_)
    if rule is None:
        return None
    value = plain(change.outputs.get(rule.key))
    if change.type_ == t.BUCKET and value in change.data.get("taken", {}).get("buckets", []):
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
