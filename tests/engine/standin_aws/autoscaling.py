"""TEST-ONLY stand-in AWS provider: Auto Scaling groups and the instances they run.

A group launches `desiredCapacity` (else `minSize`) instances from its resolved launch template
version, balanced over its subnets' zones, as `aws:ec2/instance:Instance` records named
`<group>-<n>` with facts `autoScalingGroup`, `launchTemplate` and what they could reach at
launch (reachability.py); its target groups serve them
(`registered_targets`). As in terraform-provider-aws:
- an instance refresh starts only when the group's `launchTemplate` (or `mixedInstancesPolicy`,
  or an input named in `instanceRefresh.triggers`) changes - a new version behind `$Latest`
  changes nothing. The stand-in completes a refresh at once: every instance is replaced from
  the new version and none of the old ones is left (`facts["instanceRefreshes"]`);
- a capacity change launches or terminates (the fullest zone first, then the oldest), and
  instances in subnets the group no longer uses are replaced;
- deleting the group terminates its instances.
A launch that fails (launch_templates.launch_problem) is a failed scaling activity; with
`waitForCapacityTimeout` other than 0 the create (or capacity update) then fails the way the
provider's capacity wait does, and the group is left in AWS.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import account, lookups, reachability, rendering
from tests.engine.standin_aws.account import digest
from tests.engine.standin_aws.change import Change
from tests.engine.standin_aws.cloud import record_key
from tests.engine.standin_aws.ec2_rules import place_instance
from tests.engine.standin_aws.errors import AwsError, ProviderError, autoscaling
from tests.engine.standin_aws.launch_templates import launch_problem, truthy

Template = tuple[lookups.Record, str, dict[str, Any]]


def _reject(change: Change, message: str) -> AwsError:
    creating = not change.olds
    return autoscaling(
        f"{'creating' if creating else 'updating'} Auto Scaling Group ({change.get('name')})",
        "CreateAutoScalingGroup" if creating else "UpdateAutoScalingGroup",
        "ValidationError",
        message,
    )


def _template(change: Change) -> Template:
    """The launch template record, the version number the spec resolves to, its content."""
    spec = change.get("launchTemplate")
    if not spec:
        mixed = (change.get("mixedInstancesPolicy") or {}).get("launchTemplate") or {}
        given = mixed.get("launchTemplateSpecification") or {}
        spec = {
            "id": given.get("launchTemplateId"),
            "name": given.get("launchTemplateName"),
            "version": given.get("version"),
        }
    reference = spec.get("id") or spec.get("name")
    record = next(
        (
            template
            for template in lookups.records(change.data, t.LAUNCH_TEMPLATE)
            if reference in (template["id"], lookups.out(template, "name"))
        ),
        None,
    )
    kind = "id" if spec.get("id") else "name"
    if record is None:
        raise _reject(
            change,
            "You must use a valid fully-formed launch template. The specified launch template, "
            f"with template {kind} {reference}, does not exist.",
        )
    version = str(spec.get("version") or "$Default")
    number = {
        "$Latest": str(lookups.out(record, "latestVersion")),
        "$Default": str(lookups.out(record, "defaultVersion")),
    }.get(version, version)
    content = lookups.facts(record).get("versions", {}).get(number)
    if content is None:
        raise _reject(
            change,
            f"The specified launch template, with template {kind} {reference}, version "
            f"{number}, does not exist.",
        )
    return record, number, content


def _subnets(change: Change) -> list[lookups.Subnet]:
    ids = [str(item) for item in change.get("vpcZoneIdentifiers") or []]
    if not ids:
        zones = change.input("availabilityZones") or []
        ids = [account.default_subnet_id(change.config, str(zone)) for zone in zones]
    found = []
    for subnet_id in ids:
        subnet = lookups.subnet(change.data, change.config, subnet_id)
        if subnet is None:
            raise _reject(change, f"The subnet ID '{subnet_id}' does not exist")
        found.append(subnet)
    if not found:
        raise _reject(change, "At least one Availability Zone or VPC Subnet is required.")
    return found


def _desired(change: Change) -> int:
    low, high = int(change.get("minSize", 0)), int(change.get("maxSize", 0))
    desired = int(change.get("desiredCapacity", low))
    if not low <= desired <= high:
        raise _reject(
            change,
            f"Desired capacity:{desired} must be between the specified min size:{low} and "
            f"max size:{high}",
        )
    for group in change.get("targetGroupArns") or []:
        if lookups.by_id(change.data, lookups.TARGET_GROUPS, str(group)) is None:
            raise _reject(
                change,
                "Provided Target Groups may not be valid. Please ensure they exist and try again.",
            )
    return desired


# -- instances ---------------------------------------------------------------------------------


def _instance_inputs(
    change: Change, content: dict[str, Any], subnet: lookups.Subnet
) -> dict[str, Any]:
    interface = (content.get("networkInterfaces") or [{}])[0]
    public = interface.get("associatePublicIpAddress")
    profile = content.get("iamInstanceProfile") or {}
    root = ((content.get("blockDeviceMappings") or [{}])[0].get("ebs")) or {}
    tags = {
        str(tag["key"]): str(tag["value"])
        for tag in change.get("tags") or []
        if truthy(tag.get("propagateAtLaunch"))
    }
    for spec in content.get("tagSpecifications") or []:
        if spec.get("resourceType") == "instance":
            tags.update(spec.get("tags") or {})
    tags["aws:autoscaling:groupName"] = str(change.get("name"))
    return {
        "ami": content.get("imageId"),
        "instanceType": content.get("instanceType"),
        "subnetId": subnet.id,
        "availabilityZone": subnet.zone,
        "vpcSecurityGroupIds": content.get("vpcSecurityGroupIds")
        or interface.get("securityGroups")
        or [],
        "associatePublicIpAddress": truthy(public)
        if public is not None
        else subnet.public_on_launch,
        "iamInstanceProfile": profile.get("name") or profile.get("arn"),
        "metadataOptions": content.get("metadataOptions"),
        "userDataBase64": content.get("userData"),
        "monitoring": truthy((content.get("monitoring") or {}).get("enabled")),
        "disableApiTermination": truthy(content.get("disableApiTermination")),
        "rootBlockDevice": {
            key: root[key]
            for key in ("encrypted", "kmsKeyId", "volumeType", "volumeSize")
            if key in root
        },
        "tags": tags,
    }


def _members(change: Change) -> list[lookups.Record]:
    ids = change.facts.get("instances", [])
    return [
        record
        for record_id in ids
        if (record := change.data["resources"].get(record_key(t.INSTANCE, record_id)))
    ]


def _launch(
    change: Change, subnets: list[lookups.Subnet], count: int, template: Template
) -> list[str]:
    record, version, content = template
    facts = change.facts
    per_subnet = Counter(lookups.out(member, "subnetId") for member in _members(change))
    launched = []
    for _ in range(count):
        subnet = min(subnets, key=lambda item: (per_subnet[item.id], subnets.index(item)))
        per_subnet[subnet.id] += 1
        number = facts["launches"] = facts.get("launches", 0) + 1
        name = f"{change.get('name')}-{number}"
        urn = f"urn:pulumi:standin::autoscaling::{t.INSTANCE}::{name}"
        seed = digest(str(change.record["seed"] if change.record else ""), "launch", str(number))
        inputs = _instance_inputs(change, content, subnet)
        instance_id, outputs = rendering.render_outputs(
            t.INSTANCE, urn, inputs, change.config, seed
        )
        place_instance(outputs, subnet, change.region)
        instance = change.data["resources"][record_key(t.INSTANCE, instance_id)] = {
            "type": t.INSTANCE,
            "id": instance_id,
            "urn": urn,
            "seed": seed,
            "region": change.region,
            "inputs": inputs,
            "outputs": outputs,
            "facts": {
                "autoScalingGroup": str(change.get("name")),
                "launchTemplate": {"id": record["id"], "version": version},
                "internetAtLaunch": lookups.internet_attached(
                    change.data, change.config, subnet.vpc_id
                ),
            },
        }
        reachability.note_launch(change.data, change.config, instance)
        launched.append(instance_id)
    facts["instances"] = [*facts.get("instances", []), *launched]
    return launched


def _terminate(change: Change, instance_ids: list[str]) -> None:
    for instance_id in instance_ids:
        change.data["resources"].pop(record_key(t.INSTANCE, instance_id), None)
    change.facts["instances"] = [
        kept for kept in change.facts.get("instances", []) if kept not in instance_ids
    ]


def _scale_in_order(change: Change) -> list[str]:
    """AWS's default termination policy: the fullest zone first, then the oldest launch."""
    members = _members(change)
    per_zone = Counter(lookups.out(member, "availabilityZone") for member in members)
    ordered = sorted(
        members,
        key=lambda member: (-per_zone[lookups.out(member, "availabilityZone")], member["urn"]),
    )
    return [member["id"] for member in ordered]


def _record_failure(change: Change, problem: str) -> str:
    activity = digest(str(change.get("name")), str(change.facts.get("launches", 0)), problem)
    change.facts.setdefault("activities", []).append(
        {"id": activity[:32], "status": "Failed", "message": problem}
    )
    uid = f"{activity[:8]}-{activity[8:12]}-{activity[12:16]}-{activity[16:20]}-{activity[20:32]}"
    return f"scaling activity ({uid}): Failed: {problem}"


def _waits(change: Change) -> bool:
    return str(change.get("waitForCapacityTimeout", "10m")).strip("0smh") != ""


def _capacity_failure(change: Change, problem: str) -> str:
    failure = _record_failure(change, problem)
    return f"waiting for Auto Scaling Group ({change.get('name')}) capacity satisfied: {failure}"


def created_group(change: Change) -> None:
    subnets, desired, template = _subnets(change), _desired(change), _template(change)
    change.outputs["availabilityZones"] = sorted({subnet.zone for subnet in subnets})
    change.facts.update(
        instances=[],
        launches=0,
        launchTemplate={"id": template[0]["id"], "version": template[1]},
        activities=[],
        instanceRefreshes=[],
    )
    problem = launch_problem(change, template[2])
    if problem is None:
        _launch(change, subnets, desired, template)
    elif desired:
        failure = _capacity_failure(change, problem)
        if _waits(change):
            change.failure = failure


def _refresh_requested(change: Change) -> bool:
    refresh = change.get("instanceRefresh")
    if not refresh:
        return False
    if change.changed("launchTemplate") or change.changed("mixedInstancesPolicy"):
        return True
    return any(change.changed(str(trigger)) for trigger in refresh.get("triggers") or [])


def _refresh(
    change: Change, subnets: list[lookups.Subnet], template: Template, problem: str | None
) -> None:
    old = [member["id"] for member in _members(change)]
    entry: dict[str, Any] = {
        "launchTemplate": {"id": template[0]["id"], "version": template[1]},
        "replaced": old,
    }
    if problem is None:
        entry["launched"] = _launch(change, subnets, len(old), template)
        _terminate(change, old)
        entry["status"] = "Successful"
    else:
        entry.update(status="Failed", reason=_record_failure(change, problem))
    change.facts.setdefault("instanceRefreshes", []).append(entry)


def update_group(change: Change) -> None:
    subnets, desired, template = _subnets(change), _desired(change), _template(change)
    change.outputs["availabilityZones"] = sorted({subnet.zone for subnet in subnets})
    change.facts["launchTemplate"] = {"id": template[0]["id"], "version": template[1]}
    problem = launch_problem(change, template[2])
    used = {subnet.id for subnet in subnets}
    members = _members(change)
    stranded = [m["id"] for m in members if lookups.out(m, "subnetId") not in used]
    staying = len(members) - len(stranded)
    if desired > staying and problem is not None:
        failure = _capacity_failure(change, problem)
        if _waits(change) and (change.changed("desiredCapacity") or change.changed("minSize")):
            raise ProviderError(failure)
    else:
        if desired > staying:
            _launch(change, subnets, desired - staying, template)
        _terminate(change, stranded)
    surplus = len(_members(change)) - desired
    if surplus > 0:
        _terminate(change, _scale_in_order(change)[:surplus])
    if _refresh_requested(change):
        _refresh(change, subnets, template, problem)


def delete_group(change: Change) -> None:
    """The provider drains the group (desired 0) before deleting it: its instances go."""
    _terminate(change, list(change.facts.get("instances", [])))


def registered_targets(data: dict[str, Any], target_group_arn: str) -> list[str]:
    """Instance ids a target group serves: attachments and the groups that name it."""
    targets = [
        str(lookups.out(record, "targetId"))
        for record in lookups.records(data, *lookups.TARGET_ATTACHMENTS)
        if lookups.out(record, "targetGroupArn") == target_group_arn
    ]
    attached = {
        lookups.out(record, "autoscalingGroupName")
        for record in lookups.records(data, t.AUTOSCALING_ATTACHMENT)
        if lookups.out(record, "lbTargetGroupArn") == target_group_arn
    }
    for group in lookups.records(data, t.AUTOSCALING_GROUP):
        named = target_group_arn in (lookups.out(group, "targetGroupArns") or [])
        if named or lookups.out(group, "name") in attached:
            targets.extend(lookups.facts(group).get("instances", []))
    return targets
