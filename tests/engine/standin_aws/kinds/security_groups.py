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
from tests.engine.standin_aws.ec2 import by, call, one
from tests.engine.standin_aws.kinds.base import Ec2Kind, Made, Op
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


class _Group(Ec2Kind):
    noun, what, tag_type = "SecurityGroup", "Security Group", "security-group"

    def create(self, op: Op) -> Made:
        action = f"creating Security Group ({op.get('name')})"
        vpc = self._vpc(op)
        refuse.require_vpc(op, vpc, action, "CreateSecurityGroup")
        arguments = {"GroupName": op.get("name"), "VpcId": vpc}
        arguments |= {"Description": op.get("description", "Managed by Pulumi")}
        tags = ec2.tagging(op, self.tag_type)
        made = call(op, action, "CreateSecurityGroup", **arguments, TagSpecifications=tags)
        self._put_inline(op, made["GroupId"], list(_DIRECTIONS))
        return made["GroupId"], self.outputs(op, made["GroupId"])

    def _vpc(self, op: Op) -> str:
        """The group's VPC: its input, else the default VPC (as AWS picks it)."""
        if op.get("vpcId"):
            return str(op.get("vpcId"))
        default = one(op, "DescribeVpcs", "Vpcs", "default VPC", Filters=by(is_default="true"))
        return str(default["VpcId"])

    def describe(self, op: Op, group_id: str) -> Any:
        return one(op, "DescribeSecurityGroups", "SecurityGroups", group_id, GroupIds=[group_id])

    def _put_inline(self, op: Op, group_id: str, directions: list[str]) -> None:
        """Make the group's rules of `directions` exactly its inline blocks (none if not given)."""
        group = self.describe(op, group_id)
        for direction in directions:
            suffix, field = _DIRECTIONS[direction]
            action = f"updating Security Group ({group_id}) {direction} rules"
            wanted = [_permission(block, group_id) for block in op.get(direction) or []]
            for verb, permissions in (("Revoke", group[field]), ("Authorize", wanted)):
                if permissions:
                    operation = f"{verb}SecurityGroup{suffix}"
                    call(op, action, operation, GroupId=group_id, IpPermissions=permissions)

    def outputs(self, op: Op, group_id: str) -> Props:
        group = self.describe(op, group_id)
        keys = {"arn": "SecurityGroupArn", "name": "GroupName", "vpcId": "VpcId"}
        return {"ownerId": group["OwnerId"], **{key: group[aws] for key, aws in keys.items()}}

    def update(self, op: Op, group_id: str) -> Props:
        self._put_inline(op, group_id, [d for d in _DIRECTIONS if op.changed(d)])
        return self.outputs(op, group_id)

    def delete(self, op: Op, group_id: str) -> None:
        action = f"deleting Security Group ({group_id})"
        refuse.group_unused(op, group_id, action)
        call(op, action, "DeleteSecurityGroup", GroupId=group_id)


class _DefaultGroup(_Group):
    """The VPC's default group, which AWS made with the VPC: adopted, emptied of what its
    blocks do not say, and never deleted (the provider only drops it from the state)."""

    def create(self, op: Op) -> Made:
        group_id = ec2.default_group(op, self._vpc(op))
        self.retag(op, group_id)
        return group_id, self.update(op, group_id)

    def update(self, op: Op, group_id: str) -> Props:
        self._put_inline(op, group_id, list(_DIRECTIONS))
        return self.outputs(op, group_id)

    def delete(self, op: Op, group_id: str) -> None:
        return None


# A split rule's peer input -> (IpPermission list, its key; ModifySecurityGroupRules' field).
_PEERS = {
    "cidrIpv4": ("IpRanges", "CidrIp", "CidrIpv4"),
    "cidrIpv6": ("Ipv6Ranges", "CidrIpv6", "CidrIpv6"),
    "prefixListId": ("PrefixListIds", "PrefixListId", "PrefixListId"),
    "referencedSecurityGroupId": ("UserIdGroupPairs", "GroupId", "ReferencedGroupId"),
}


class _SplitRule(Ec2Kind):
    noun, tag_type = "SecurityGroupRule", "security-group-rule"

    def __init__(self, direction: str) -> None:
        self.suffix = _DIRECTIONS[direction][0]
        self.what = f"VPC Security Group {self.suffix} Rule"

    def _ports(self, op: Op) -> dict[str, Any]:
        protocol = str(op.get("ipProtocol"))
        ports = {"FromPort": int(op.get("fromPort")), "ToPort": int(op.get("toPort"))}
        return {"IpProtocol": protocol, **({} if protocol in _ALL else ports)}

    def create(self, op: Op) -> Made:
        described = {"Description": op.get("description")} if op.get("description") else {}
        permission = self._ports(op)
        for key, (field, inner, _) in _PEERS.items():
            if op.get(key):
                permission[field] = [{inner: op.get(key), **described}]
        group = op.get("securityGroupId")
        arguments = {"GroupId": group, "IpPermissions": [permission]}
        arguments["TagSpecifications"] = ec2.tagging(op, self.tag_type)
        operation = f"AuthorizeSecurityGroup{self.suffix}"
        made = call(op, f"creating {self.what} ({group})", operation, **arguments)
        rule_id = made["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        return rule_id, self.outputs(op, rule_id)

    def outputs(self, op: Op, rule_id: str) -> Props:
        self.describe(op, rule_id)
        return {"securityGroupRuleId": rule_id, "arn": ec2.arn(op, "security-group-rule", rule_id)}

    def update(self, op: Op, rule_id: str) -> Props:
        rule = {
            "FromPort": -1,
            "ToPort": -1,
            **self._ports(op),
            "Description": op.get("description"),
        }
        rule.update({field: op.get(key) for key, (_, _, field) in _PEERS.items() if op.get(key)})
        change = {
            "SecurityGroupRuleId": rule_id,
            "SecurityGroupRule": {k: v for k, v in rule.items() if v is not None},
        }
        arguments = {"GroupId": op.get("securityGroupId"), "SecurityGroupRules": [change]}
        call(op, f"updating {self.what} ({rule_id})", "ModifySecurityGroupRules", **arguments)
        return self.outputs(op, rule_id)

    def delete(self, op: Op, rule_id: str) -> None:
        arguments = {"GroupId": op.get("securityGroupId"), "SecurityGroupRuleIds": [rule_id]}
        operation = f"RevokeSecurityGroup{self.suffix}"
        call(op, f"deleting {self.what} ({rule_id})", operation, **arguments)


KINDS = {
    t.SECURITY_GROUP: _Group(),
    t.DEFAULT_SECURITY_GROUP: _DefaultGroup(),
    t.SECURITY_GROUP_INGRESS_RULE: _SplitRule("ingress"),
    t.SECURITY_GROUP_EGRESS_RULE: _SplitRule("egress"),
}
