"""TEST-ONLY stand-in: Auto Scaling groups; moto launches, scales and terminates their instances.

Two things AWS does and moto 5.2 does not are done here through moto's own calls, each said
where it happens: an instance refresh (moto has no StartInstanceRefresh) and the replacement of
instances in subnets the group no longer uses. Whether the instances can launch at all (the
service-linked role and the key of an encrypted volume) is refusals/compute.py's.
"""

from __future__ import annotations

from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws.errors import CreatedButFailed, ProviderError
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, first, gone_if_missing
from tests.engine.standin_aws.refusals import compute as refuse
from tests.engine.standin_aws.wire import Props


def _call(op: Op, doing: str, operation: str, name: str, **arguments: Any) -> Any:
    return op.call(f"{doing} Auto Scaling Group ({name})", "autoscaling", operation, **arguments)


def _spec(op: Op) -> dict[str, Any]:
    given = op.get("launchTemplate") or {}
    spec = (
        {"LaunchTemplateId": given["id"]}
        if given.get("id")
        else {"LaunchTemplateName": given.get("name")}
    )
    return {**spec, "Version": str(given["version"])} if given.get("version") else spec


def _template_data(op: Op) -> dict[str, Any]:
    """What the group's instances launch with ({} if the template is missing: moto refuses)."""
    spec = _spec(op)
    found = gone_if_missing(
        lambda: op.call(
            "reading EC2 Launch Template",
            "ec2",
            "DescribeLaunchTemplateVersions",
            **{key: value for key, value in spec.items() if key != "Version"},
            Versions=[spec.get("Version", "$Default")],
        )
    )
    version = first((found or {}).get("LaunchTemplateVersions") or [])
    return dict(version["LaunchTemplateData"]) if version else {}


def _arguments(op: Op, name: str) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "AutoScalingGroupName": name,
        "MinSize": int(op.get("minSize", 0)),
        "MaxSize": int(op.get("maxSize", 0)),
        "DesiredCapacity": int(op.get("desiredCapacity", op.get("minSize", 0))),
        "LaunchTemplate": _spec(op),
        "HealthCheckType": op.get("healthCheckType", "EC2"),
        "HealthCheckGracePeriod": int(op.get("healthCheckGracePeriod", 300)),
    }
    if op.get("vpcZoneIdentifiers"):
        arguments["VPCZoneIdentifier"] = ",".join(op.get("vpcZoneIdentifiers"))
    if op.get("availabilityZones"):
        arguments["AvailabilityZones"] = op.get("availabilityZones")
    return arguments


def _tags(op: Op, name: str) -> list[dict[str, Any]]:
    return [
        {
            "Key": tag["key"],
            "Value": str(tag["value"]),
            "PropagateAtLaunch": str(tag.get("propagateAtLaunch", False)).lower() == "true",
            "ResourceId": name,
            "ResourceType": "auto-scaling-group",
        }
        for tag in op.get("tags") or []
    ]


def _waits(op: Op) -> bool:
    """The provider waits for capacity unless waitForCapacityTimeout is 0."""
    return str(op.get("waitForCapacityTimeout", "10m")).strip("0smh") != ""


def _create(op: Op) -> Made:
    name = str(op.get("name"))
    refuse.group_name_taken(op, name)
    refuse.capacity_out_of_bounds(op, name, creating=True)
    refuse.target_groups_missing(op, name)
    problem = refuse.launch_problem(op, _template_data(op))
    arguments = _arguments(op, name)
    if problem:
        # AWS makes the group, and every launch of it fails: it stays without instances.
        arguments.update(MinSize=0, DesiredCapacity=0)
    _call(
        op,
        "creating",
        "CreateAutoScalingGroup",
        name,
        **arguments,
        TargetGroupARNs=op.get("targetGroupArns") or [],
        Tags=_tags(op, name),
    )
    if not problem:
        _dress(op, name)
    outputs = _read(op, name) or {}
    if problem and int(op.get("desiredCapacity", op.get("minSize", 0))) and _waits(op):
        raise CreatedButFailed(refuse.capacity_failure(name, problem), name, outputs)
    return name, outputs


def _group(op: Op, name: str) -> Any:
    found = _call(op, "reading", "DescribeAutoScalingGroups", name, AutoScalingGroupNames=[name])[
        "AutoScalingGroups"
    ]
    return first(found)


def _read(op: Op, name: str) -> Props | None:
    group = _group(op, name)
    if group is None:
        return None
    return {
        "arn": group["AutoScalingGroupARN"],
        "name": name,
        "availabilityZones": sorted(group["AvailabilityZones"]),
        "serviceLinkedRoleArn": group.get("ServiceLinkedRoleARN", ""),
    }


def _members(op: Op, name: str) -> dict[str, str]:
    """The group's instances and their subnets."""
    ids = [item["InstanceId"] for item in (_group(op, name) or {}).get("Instances", [])]
    if not ids:
        return {}
    found = op.call("reading EC2 Instances", "ec2", "DescribeInstances", InstanceIds=ids)
    return {
        item["InstanceId"]: item.get("SubnetId", "")
        for reservation in found["Reservations"]
        for item in reservation["Instances"]
    }


def _dress(op: Op, name: str) -> None:
    """Give the group's instances the template's security groups: moto 5.2 launches them with
    none when the template names its groups on a network interface, as ours does (local)."""
    data = _template_data(op)
    interfaces = data.get("NetworkInterfaces") or [{}]
    groups = interfaces[0].get("Groups") or data.get("SecurityGroupIds") or []
    ids = list(_members(op, name))
    if not groups or not ids:
        return
    found = op.call("reading EC2 Instances", "ec2", "DescribeInstances", InstanceIds=ids)
    for reservation in found["Reservations"]:
        for instance in reservation["Instances"]:
            if {g["GroupId"] for g in instance.get("SecurityGroups", [])} != set(groups):
                action = f"launching instances of Auto Scaling Group ({name})"
                op.call(
                    action,
                    "ec2",
                    "ModifyInstanceAttribute",
                    InstanceId=instance["InstanceId"],
                    Groups=groups,
                )


def _replace(op: Op, name: str, instances: list[str]) -> None:
    """Terminate without lowering the desired capacity: moto launches each replacement from
    the group's current launch template version, into its current subnets. AWS also takes a
    terminated instance out of the group's target groups; moto 5.2 leaves it there (local)."""
    target_groups = (_group(op, name) or {}).get("TargetGroupARNs", [])
    for instance in instances:
        _call(
            op,
            "replacing instances of",
            "TerminateInstanceInAutoScalingGroup",
            name,
            InstanceId=instance,
            ShouldDecrementDesiredCapacity=False,
        )
        for arn in target_groups:
            action = f"replacing instances of Auto Scaling Group ({name})"
            op.call(
                action, "elbv2", "DeregisterTargets", TargetGroupArn=arn, Targets=[{"Id": instance}]
            )


def _refresh_requested(op: Op) -> bool:
    """The provider starts an instance refresh when the group has an instanceRefresh block and
    its launch template (or an input named in triggers) changed: a new version behind
    $Latest changes no input, so it rolls nothing."""
    refresh = op.get("instanceRefresh")
    if not refresh:
        return False
    triggers = [str(trigger) for trigger in refresh.get("triggers") or []]
    return op.changed("launchTemplate", "mixedInstancesPolicy", *triggers)


def _update(op: Op, name: str) -> Props:
    refuse.capacity_out_of_bounds(op, name, creating=False)
    problem = refuse.launch_problem(op, _template_data(op))
    members = _members(op, name)
    arguments = _arguments(op, name)
    if problem and arguments["DesiredCapacity"] > len(members):
        # The launches fail: the group keeps what it has.
        kept = len(members)
        arguments.update(DesiredCapacity=kept, MinSize=min(kept, arguments["MinSize"]))
        if _waits(op) and op.changed("desiredCapacity", "minSize"):
            _call(op, "updating", "UpdateAutoScalingGroup", name, **arguments)
            raise ProviderError(refuse.capacity_failure(name, problem))
    _call(op, "updating", "UpdateAutoScalingGroup", name, **arguments)
    if op.changed("targetGroupArns"):
        old, new = set(op.old("targetGroupArns") or []), set(op.get("targetGroupArns") or [])
        if old - new:
            _call(
                op,
                "detaching target groups of",
                "DetachLoadBalancerTargetGroups",
                name,
                AutoScalingGroupName=name,
                TargetGroupARNs=sorted(old - new),
            )
        if new - old:
            _call(
                op,
                "attaching target groups to",
                "AttachLoadBalancerTargetGroups",
                name,
                AutoScalingGroupName=name,
                TargetGroupARNs=sorted(new - old),
            )
    if op.changed("tags"):
        _call(op, "tagging", "CreateOrUpdateTags", name, Tags=_tags(op, name))
    if problem is None:
        # AWS rebalances away from subnets the group left; moto leaves those instances (local).
        subnets = set(op.get("vpcZoneIdentifiers") or [])
        stranded = [
            i for i, subnet in _members(op, name).items() if subnets and subnet not in subnets
        ]
        _replace(op, name, stranded)
        if _refresh_requested(op):
            # Instance refresh, which moto lacks (local): every instance is replaced from the
            # new version. Onto a key the group cannot use, the refresh fails and keeps them.
            _replace(op, name, list(_members(op, name)))
        _dress(op, name)
    return _read(op, name) or {}


def _delete(op: Op, name: str) -> None:
    # The provider drains the group first: its instances are terminated with it.
    _call(
        op, "deleting", "DeleteAutoScalingGroup", name, AutoScalingGroupName=name, ForceDelete=True
    )


KINDS = {t.AUTOSCALING_GROUP: Kind(_create, _read, _delete, _update, tagged=False)}
