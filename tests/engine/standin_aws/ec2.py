"""TEST-ONLY stand-in: the EC2 calls the network kinds, their refusals and reach.py share.

`caller` is an `Op` or an `emulator.Account`: both have `call(action, service, operation,
**arguments)`. Every EC2 resource is created with its tags (`tagging`) and retagged with
CreateTags and DeleteTags (`retag`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.engine.standin_aws.errors import AwsError

if TYPE_CHECKING:  # kinds import this module: no import cycle at run time
    from tests.engine.standin_aws.kinds.base import Op


def call(caller: Any, action: str, operation: str, **arguments: Any) -> Any:
    return caller.call(action, "ec2", operation, **arguments)


def by(**filters: str) -> list[dict[str, Any]]:
    """Describe filters: by(vpc_id="v", association__main="true") -> vpc-id = v,
    association.main = true."""
    names = {name: name.replace("__", ".").replace("_", "-") for name in filters}
    return [{"Name": names[name], "Values": [value]} for name, value in filters.items()]


def describe(caller: Any, operation: str, key: str, **arguments: Any) -> list[Any]:
    return list(call(caller, f"reading ({operation})", operation, **arguments)[key])


def one(caller: Any, operation: str, key: str, resource_id: str, **arguments: Any) -> Any:
    """The one item `operation` describes; a NotFound refusal when there is none."""
    found = describe(caller, operation, key, **arguments)
    if not found:
        raise AwsError(f"reading {resource_id}", "EC2", operation, "NotFound", "not found")
    return found[0]


def instances(caller: Any, **arguments: Any) -> list[dict[str, Any]]:
    """DescribeInstances' instances, out of their reservations."""
    found = describe(caller, "DescribeInstances", "Reservations", **arguments)
    return [instance for reservation in found for instance in reservation["Instances"]]


def prefix_list(caller: Any, service: str) -> str | None:
    """The id of the AWS-managed prefix list of `service` (S3's, DynamoDB's), if it has one."""
    found = describe(
        caller, "DescribePrefixLists", "PrefixLists", Filters=by(prefix_list_name=service)
    )
    return str(found[0]["PrefixListId"]) if found else None


def tagging(op: Op, resource_type: str) -> list[dict[str, Any]]:
    """TagSpecifications of a create call (none without tags: EC2 refuses an empty list)."""
    tags = op.tag_list()
    return [{"ResourceType": resource_type, "Tags": tags}] if tags else []


def live_tags(op: Op, resource_id: str) -> dict[str, Any]:
    """`tags` and `tagsAll` as a read finds them (drift included)."""
    found = describe(op, "DescribeTags", "Tags", Filters=by(resource_id=resource_id))
    return op.live_tags({tag["Key"]: tag["Value"] for tag in found})


def retag(op: Op, resource_id: str) -> None:
    """Make the resource's tags exactly `tags_all`."""
    action = f"updating tags of EC2 resource ({resource_id})"
    current = describe(op, "DescribeTags", "Tags", Filters=by(resource_id=resource_id))
    stale = [{"Key": tag["Key"]} for tag in current if tag["Key"] not in op.tags_all]
    if stale:
        call(op, action, "DeleteTags", Resources=[resource_id], Tags=stale)
    if op.tags_all:
        call(op, action, "CreateTags", Resources=[resource_id], Tags=op.tag_list())


def arn(op: Op, kind: str, resource_id: str) -> str:
    return op.arn("ec2", f"{kind}/{resource_id}")


def default_group(caller: Any, vpc_id: str) -> str:
    """The id of the VPC's default security group."""
    filters = by(vpc_id=vpc_id, group_name="default")
    return str(
        one(caller, "DescribeSecurityGroups", "SecurityGroups", vpc_id, Filters=filters)["GroupId"]
    )
