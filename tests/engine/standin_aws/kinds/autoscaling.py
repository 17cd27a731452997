"""TEST-ONLY stand-in: Auto Scaling groups; moto launches, scales and terminates their instances.

Two things AWS does and moto 5.2 does not are done here through moto's own calls, each said
where it happens: an instance refresh (moto has no StartInstanceRefresh) and the replacement of
instances in subnets the group no longer uses. Whether the instances can launch at all (the
service-linked role and the key of an encrypted volume) is refusals/compute.py's.
"""

from __future__ import annotations

from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import ec2
from tests.engine.standin_aws.errors import CreatedButFailed, ProviderError
from tests.engine.standin_aws.kinds.base import Made, Op, Untagged, first, gone_if_missing
from tests.engine.standin_aws.refusals import compute as refuse
from tests.engine.standin_aws.wire import Props


def _call(op: Op, doing: str, operation: str, name: str, **arguments: Any) -> Any:
    return op.call(f"{doing} Auto Scaling Group ({name})", "autoscaling", operation, **arguments)


def _spec(op: Op) -> dict[str, Any]:
    given = op.get("launchTemplate") or {}
    spec = {"LaunchTemplateId": given["id"]} if given.get("id") else {}
    spec = spec or {"LaunchTemplateName": given.get("name")}
    return {**spec, "Version": str(given["version"])} if given.get("version") else spec


def _template_data(op: Op) -> dict[str, Any]:
    """What the group's instances launch with ({} if the template is missing: moto refuses)."""
    spec = _spec(op)
    versions = [spec.pop("Version", "$Default")]
    action, operation = "reading EC2 Launch Template", "DescribeLaunchTemplateVersions"
    found = gone_if_missing(lambda: op.call(action, "ec2", operation, **spec, Versions=versions))
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
    return arguments | op.given({"availabilityZones": "AvailabilityZones"})


def _tags(op: Op, name: str) -> list[dict[str, Any]]:
    group = {"ResourceId": name, "ResourceType": "auto-scaling-group"}
    return [
        {"Key": tag["key"], "Value": str(tag["value"]), "PropagateAtLaunch": _true(tag), **group}
        for tag in op.get("tags") or []
    ]


def _true(tag: dict[str, Any]) -> bool:
    return str(tag.get("propagateAtLaunch", False)).lower() == "true"


def _waits(op: Op) -> bool:
    """The provider waits for capacity unless waitForCapacityTimeout is 0."""
    return str(op.get("waitForCapacityTimeout", "10m")).strip("0smh") != ""


def _group(op: Op, name: str) -> Any:
    found = _call(op, "reading", "DescribeAutoScalingGroups", name, AutoScalingGroupNames=[name])
    return first(found["AutoScalingGroups"])


def _members(op: Op, name: str) -> dict[str, str]:
    """The group's instances and their subnets."""
    ids = [item["InstanceId"] for item in (_group(op, name) or {}).get("Instances", [])]
    if not ids:
        return {}
    return {
        item["InstanceId"]: item.get("SubnetId", "") for item in ec2.instances(op, InstanceIds=ids)
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
    for instance in ec2.instances(op, InstanceIds=ids):
        if {g["GroupId"] for g in instance.get("SecurityGroups", [])} != set(groups):
            given = {"InstanceId": instance["InstanceId"], "Groups": groups}
            op.call(f"launching instances of ({name})", "ec2", "ModifyInstanceAttribute", **given)


def _replace(op: Op, name: str, instances: list[str]) -> None:
    """Terminate without lowering the desired capacity: moto launches each replacement from
    the group's current launch template version, into its current subnets. AWS also takes a
    terminated instance out of the group's target groups; moto 5.2 leaves it there (local)."""
    target_groups = (_group(op, name) or {}).get("TargetGroupARNs", [])
    operation = "TerminateInstanceInAutoScalingGroup"
    for instance in instances:
        keep = {"InstanceId": instance, "ShouldDecrementDesiredCapacity": False}
        _call(op, "replacing instances of", operation, name, **keep)
        for arn in target_groups:
            targets = {"TargetGroupArn": arn, "Targets": [{"Id": instance}]}
            op.call(f"replacing instances of ({name})", "elbv2", "DeregisterTargets", **targets)


def _refresh_requested(op: Op) -> bool:
    """The provider starts an instance refresh when the group has an instanceRefresh block and
    its launch template (or an input named in triggers) changed: a new version behind
    $Latest changes no input, so it rolls nothing."""
    refresh = op.get("instanceRefresh")
    if not refresh:
        return False
    triggers = [str(trigger) for trigger in refresh.get("triggers") or []]
    return op.changed("launchTemplate", "mixedInstancesPolicy", *triggers)


class _Group(Untagged):
    def create(self, op: Op) -> Made:
        name = str(op.get("name"))
        refuse.group_name_taken(op, name)
        refuse.capacity_out_of_bounds(op, name, creating=True)
        refuse.target_groups_missing(op, name)
        problem = refuse.launch_problem(op, _template_data(op))
        arguments = _arguments(op, name)
        if problem:
            # AWS makes the group, and every launch of it fails: it stays without instances.
            arguments.update(MinSize=0, DesiredCapacity=0)
        arguments |= {"TargetGroupARNs": op.get("targetGroupArns") or [], "Tags": _tags(op, name)}
        _call(op, "creating", "CreateAutoScalingGroup", name, **arguments)
        if not problem:
            _dress(op, name)
        outputs = self.read(op, name) or {}
        if problem and int(op.get("desiredCapacity", op.get("minSize", 0))) and _waits(op):
            raise CreatedButFailed(refuse.capacity_failure(name, problem), name, outputs)
        return name, outputs

    def read(self, op: Op, name: str) -> Props | None:
        group = _group(op, name)
        if group is None:
            return None
        return {
            "arn": group["AutoScalingGroupARN"],
            "name": name,
            "availabilityZones": sorted(group["AvailabilityZones"]),
            "serviceLinkedRoleArn": group.get("ServiceLinkedRoleARN", ""),
        }

    def update(self, op: Op, name: str) -> Props:
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
            for doing, verb, arns in (
                ("detaching", "Detach", old - new),
                ("attaching", "Attach", new - old),
            ):
                if arns:
                    change = {"AutoScalingGroupName": name, "TargetGroupARNs": sorted(arns)}
                    operation = f"{verb}LoadBalancerTargetGroups"
                    _call(op, f"{doing} target groups of", operation, name, **change)
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
        return self.read(op, name) or {}

    def delete(self, op: Op, name: str) -> None:
        # The provider drains the group first: its instances are terminated with it.
        drained = {"AutoScalingGroupName": name, "ForceDelete": True}
        _call(op, "deleting", "DeleteAutoScalingGroup", name, **drained)


_GROUP = _Group()
KINDS = {t.AUTOSCALING_GROUP: _GROUP}
