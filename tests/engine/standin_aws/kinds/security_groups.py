"""TEST-ONLY stand-in: security groups and their rules in the emulated account.

A `SecurityGroup`'s or `DefaultSecurityGroup`'s inline `ingress`/`egress` blocks are the group's
whole rule set, as the provider keeps them: it revokes what the group had (AWS's allow-all
egress of a new group, the default group's own rules) and authorizes the blocks. A split rule
(`aws:vpc` SecurityGroupIngressRule / SecurityGroupEgressRule) is one rule, by its rule id.
"""

from __future__ import annotations

from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import ec2
from tests.engine.standin_aws.ec2 import by, call, one, tagging
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, reader
from tests.engine.standin_aws.refusals import network as refuse
from tests.engine.standin_aws.wire import Props

# A direction -> its API suffix and its field in DescribeSecurityGroups.
_DIRECTIONS = {"ingress": ("Ingress", "IpPermissions"), "egress": ("Egress", "IpPermissionsEgress")}
_ALL = ("-1", "all")


def _permission(block: dict[str, Any], group_id: str) -> dict[str, Any]:
    """An inline block as an IpPermission."""
    groups = [*(block.get("securityGroups") or []), *([group_id] if block.get("self") else [])]
    permission: dict[str, Any] = {
        "IpProtocol": str(block.get("protocol", "-1")),
        "IpRanges": [{"CidrIp": cidr} for cidr in block.get("cidrBlocks") or []],
        "PrefixListIds": [{"PrefixListId": pl} for pl in block.get("prefixListIds") or []],
        "UserIdGroupPairs": [{"GroupId": group} for group in groups],
    }
    if permission["IpProtocol"] not in _ALL:
        permission.update(FromPort=int(block["fromPort"]), ToPort=int(block["toPort"]))
    return permission


def _put_inline(op: Op, group_id: str, directions: list[str]) -> None:
    """Make the group's rules of `directions` exactly its inline blocks (none if not given)."""
    group = _group(op, group_id)
    for direction in directions:
        suffix, field = _DIRECTIONS[direction]
        action = f"updating Security Group ({group_id}) {direction} rules"
        wanted = [_permission(block, group_id) for block in op.get(direction) or []]
        for verb, permissions in (("Revoke", group[field]), ("Authorize", wanted)):
            if permissions:
                operation = f"{verb}SecurityGroup{suffix}"
                call(op, action, operation, GroupId=group_id, IpPermissions=permissions)


def _group(op: Op, group_id: str) -> Any:
    return one(op, "DescribeSecurityGroups", "SecurityGroups", group_id, GroupIds=[group_id])


def _group_outputs(op: Op, group_id: str) -> Props:
    group = _group(op, group_id)
    return {
        "arn": group["SecurityGroupArn"],
        "name": group["GroupName"],
        "vpcId": group["VpcId"],
        "ownerId": group["OwnerId"],
    }


def _vpc(op: Op) -> str:
    """The group's VPC: its input, else the default VPC (as AWS picks it)."""
    if op.get("vpcId"):
        return str(op.get("vpcId"))
    default = one(op, "DescribeVpcs", "Vpcs", "default VPC", Filters=by(is_default="true"))
    return str(default["VpcId"])


def _create_group(op: Op) -> Made:
    action = f"creating Security Group ({op.get('name')})"
    vpc = _vpc(op)
    refuse.require_vpc(op, vpc, action, "CreateSecurityGroup")
    arguments = {"GroupName": op.get("name"), "VpcId": vpc}
    arguments |= {"Description": op.get("description", "Managed by Pulumi")}
    arguments |= {"TagSpecifications": tagging(op, "security-group")}
    made = call(op, action, "CreateSecurityGroup", **arguments)
    _put_inline(op, made["GroupId"], list(_DIRECTIONS))
    return made["GroupId"], _group_outputs(op, made["GroupId"])


def _update_group(op: Op, group_id: str) -> Props:
    _put_inline(op, group_id, [direction for direction in _DIRECTIONS if op.changed(direction)])
    return _group_outputs(op, group_id)


def _delete_group(op: Op, group_id: str) -> None:
    action = f"deleting Security Group ({group_id})"
    refuse.group_unused(op, group_id, action)
    call(op, action, "DeleteSecurityGroup", GroupId=group_id)


def _create_default_group(op: Op) -> Made:
    """Adopt the VPC's default group, which AWS made with the VPC."""
    group_id = ec2.default_group(op, _vpc(op))
    _put_inline(op, group_id, list(_DIRECTIONS))
    ec2.retag(op, group_id)
    return group_id, _group_outputs(op, group_id)


def _update_default_group(op: Op, group_id: str) -> Props:
    _put_inline(op, group_id, list(_DIRECTIONS))
    return _group_outputs(op, group_id)


def _forget_default_group(op: Op, group_id: str) -> None:
    """AWS never deletes a VPC's default group: the provider only drops it from the state."""


# -- split rules -------------------------------------------------------------------------------

# A split rule's peer input -> (IpPermission list, its key; ModifySecurityGroupRules' field).
_PEERS = {
    "cidrIpv4": ("IpRanges", "CidrIp", "CidrIpv4"),
    "cidrIpv6": ("Ipv6Ranges", "CidrIpv6", "CidrIpv6"),
    "prefixListId": ("PrefixListIds", "PrefixListId", "PrefixListId"),
    "referencedSecurityGroupId": ("UserIdGroupPairs", "GroupId", "ReferencedGroupId"),
}


def _ports(op: Op) -> dict[str, Any]:
    protocol = str(op.get("ipProtocol"))
    ports = {"FromPort": int(op.get("fromPort")), "ToPort": int(op.get("toPort"))}
    return {"IpProtocol": protocol, **({} if protocol in _ALL else ports)}


def _split_rule(direction: str) -> Kind:
    suffix = _DIRECTIONS[direction][0]
    what = f"VPC Security Group {suffix} Rule"

    def create(op: Op) -> Made:
        described = {"Description": op.get("description")} if op.get("description") else {}
        permission = _ports(op)
        for key, (field, inner, _) in _PEERS.items():
            if op.get(key):
                permission[field] = [{inner: op.get(key), **described}]
        group = op.get("securityGroupId")
        arguments = {"GroupId": group, "IpPermissions": [permission]}
        arguments["TagSpecifications"] = tagging(op, "security-group-rule")
        made = call(
            op, f"creating {what} ({group})", f"AuthorizeSecurityGroup{suffix}", **arguments
        )
        rule_id = made["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        return rule_id, outputs(op, rule_id)

    def outputs(op: Op, rule_id: str) -> Props:
        found = "SecurityGroupRules"
        one(op, f"Describe{found}", found, rule_id, SecurityGroupRuleIds=[rule_id])
        return {"securityGroupRuleId": rule_id, "arn": ec2.arn(op, "security-group-rule", rule_id)}

    def update(op: Op, rule_id: str) -> Props:
        rule = {"FromPort": -1, "ToPort": -1, **_ports(op), "Description": op.get("description")}
        rule.update({field: op.get(key) for key, (_, _, field) in _PEERS.items() if op.get(key)})
        change = {
            "SecurityGroupRuleId": rule_id,
            "SecurityGroupRule": {k: v for k, v in rule.items() if v is not None},
        }
        arguments = {"GroupId": op.get("securityGroupId"), "SecurityGroupRules": [change]}
        call(op, f"updating {what} ({rule_id})", "ModifySecurityGroupRules", **arguments)
        return outputs(op, rule_id)

    def delete(op: Op, rule_id: str) -> None:
        arguments = {"GroupId": op.get("securityGroupId"), "SecurityGroupRuleIds": [rule_id]}
        call(op, f"deleting {what} ({rule_id})", f"RevokeSecurityGroup{suffix}", **arguments)

    return Kind(create, reader(outputs, ec2.live_tags), delete, update, ec2.retag)


_read_group = reader(_group_outputs, ec2.live_tags)
KINDS = {
    t.SECURITY_GROUP: Kind(_create_group, _read_group, _delete_group, _update_group, ec2.retag),
    t.DEFAULT_SECURITY_GROUP: Kind(
        _create_default_group, _read_group, _forget_default_group, _update_default_group, ec2.retag
    ),
    t.SECURITY_GROUP_INGRESS_RULE: _split_rule("ingress"),
    t.SECURITY_GROUP_EGRESS_RULE: _split_rule("egress"),
}
