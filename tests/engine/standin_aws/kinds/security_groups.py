"""TEST-ONLY stand-in: security groups and their rules in the emulated account.

A `SecurityGroup`'s inline `ingress`/`egress` blocks and a `DefaultSecurityGroup`'s are the
group's whole rule set, as the provider keeps them: it revokes what AWS gave the new group (the
allow-all egress) or what the default group had, and authorizes the blocks. The split rules
(`aws:vpc` SecurityGroupIngressRule / SecurityGroupEgressRule) are one rule each, by rule id.
"""

from __future__ import annotations

from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, first, gone_if_missing
from tests.engine.standin_aws.kinds.network import (
    default_group,
    described,
    ec2,
    ec2_arn,
    ec2_retag,
    tagging,
)
from tests.engine.standin_aws.refusals import network as refuse
from tests.engine.standin_aws.wire import Props

_DIRECTIONS = {"ingress": "Ingress", "egress": "Egress"}

# -- groups ----------------------------------------------------------------------------------


def _permission(block: dict[str, Any], group_id: str) -> dict[str, Any]:
    """An inline block as an IpPermission."""
    pairs = [{"GroupId": str(group)} for group in block.get("securityGroups") or []]
    if block.get("self"):
        pairs.append({"GroupId": group_id})
    permission: dict[str, Any] = {
        "IpProtocol": str(block.get("protocol", "-1")),
        "IpRanges": [{"CidrIp": cidr} for cidr in block.get("cidrBlocks") or []],
        "Ipv6Ranges": [{"CidrIpv6": cidr} for cidr in block.get("ipv6CidrBlocks") or []],
        "PrefixListIds": [{"PrefixListId": pl} for pl in block.get("prefixListIds") or []],
        "UserIdGroupPairs": pairs,
    }
    if permission["IpProtocol"] not in ("-1", "all"):
        permission.update(
            FromPort=int(block.get("fromPort", 0)), ToPort=int(block.get("toPort", 0))
        )
    return permission


def _put_inline(op: Op, group_id: str, *, always: bool) -> None:
    """Make the group's rules exactly its inline blocks (`always`: even when not given)."""
    action = f"updating Security Group ({group_id}) rules"
    group = _group(op, group_id)
    for direction, suffix in _DIRECTIONS.items():
        if not always and op.get(direction) is None:
            continue
        current = group["IpPermissions" if direction == "ingress" else "IpPermissionsEgress"]
        if current:
            ec2(op, action, f"RevokeSecurityGroup{suffix}", GroupId=group_id, IpPermissions=current)
        wanted = [_permission(block, group_id) for block in op.get(direction) or []]
        if wanted:
            ec2(
                op,
                action,
                f"AuthorizeSecurityGroup{suffix}",
                GroupId=group_id,
                IpPermissions=wanted,
            )


def _group(op: Op, group_id: str) -> Any:
    return described(
        op,
        "Security Group",
        "DescribeSecurityGroups",
        "SecurityGroups",
        group_id,
        GroupIds=[group_id],
    )()


def _group_outputs(op: Op, group_id: str) -> Props:
    group = _group(op, group_id)
    return {
        "arn": group.get("SecurityGroupArn") or ec2_arn(op, "security-group", group_id),
        "name": group["GroupName"],
        "description": group["Description"],
        "vpcId": group["VpcId"],
        "ownerId": group["OwnerId"],
    }


def _default_vpc(op: Op) -> str:
    vpcs = ec2(
        op,
        "reading the default VPC",
        "DescribeVpcs",
        Filters=[{"Name": "is-default", "Values": ["true"]}],
    )
    return str((first(vpcs["Vpcs"]) or {}).get("VpcId", ""))


def _create_group(op: Op) -> Made:
    name = str(op.get("name"))
    action = f"creating Security Group ({name})"
    vpc = str(op.get("vpcId") or _default_vpc(op))
    refuse.require_vpc(op, vpc, action, "CreateSecurityGroup")
    made = ec2(
        op,
        action,
        "CreateSecurityGroup",
        GroupName=name,
        Description=op.get("description", "Managed by Pulumi"),
        VpcId=vpc,
        TagSpecifications=tagging(op, "security-group"),
    )
    # The provider revokes the allow-all egress AWS gives a new group before applying its own.
    _put_inline(op, made["GroupId"], always=True)
    return made["GroupId"], _group_outputs(op, made["GroupId"])


def _update_group(op: Op, group_id: str) -> Props:
    if op.changed("ingress", "egress"):
        _put_inline(op, group_id, always=False)
    return _group_outputs(op, group_id)


def _delete_group(op: Op, group_id: str) -> None:
    action = f"deleting Security Group ({group_id})"
    refuse.group_unused(op, group_id, action)
    if op.old("revokeRulesOnDelete"):
        _revoke_all(op, group_id)
    ec2(op, action, "DeleteSecurityGroup", GroupId=group_id)


def _revoke_all(op: Op, group_id: str) -> None:
    group = _group(op, group_id)
    for direction, suffix in _DIRECTIONS.items():
        current = group["IpPermissions" if direction == "ingress" else "IpPermissionsEgress"]
        if current:
            ec2(
                op,
                f"revoking Security Group ({group_id}) rules",
                f"RevokeSecurityGroup{suffix}",
                GroupId=group_id,
                IpPermissions=current,
            )


def _create_default_group(op: Op) -> Made:
    """Adopt the VPC's default group: AWS never deletes it, the provider empties it."""
    group_id = default_group(op, str(op.get("vpcId") or _default_vpc(op)))
    _put_inline(op, group_id, always=True)
    ec2_retag(op, group_id)
    return group_id, _group_outputs(op, group_id)


def _update_default_group(op: Op, group_id: str) -> Props:
    _put_inline(op, group_id, always=True)
    return _group_outputs(op, group_id)


def _forget_default_group(op: Op, group_id: str) -> None:
    """Deleting a DefaultSecurityGroup only removes it from the state: the group stays."""


# A split rule's peer input -> its field in ModifySecurityGroupRules.
_RULE_PEERS = {
    "cidrIpv4": "CidrIpv4",
    "cidrIpv6": "CidrIpv6",
    "prefixListId": "PrefixListId",
    "referencedSecurityGroupId": "ReferencedGroupId",
}

# -- split rules -----------------------------------------------------------------------------


def _rule_permission(op: Op) -> dict[str, Any]:
    protocol = str(op.get("ipProtocol"))
    permission: dict[str, Any] = {"IpProtocol": protocol}
    if protocol not in ("-1", "all"):
        permission.update(FromPort=int(op.get("fromPort")), ToPort=int(op.get("toPort")))
    description = {"Description": op.get("description")} if op.get("description") else {}
    if op.get("cidrIpv4"):
        permission["IpRanges"] = [{"CidrIp": op.get("cidrIpv4"), **description}]
    if op.get("cidrIpv6"):
        permission["Ipv6Ranges"] = [{"CidrIpv6": op.get("cidrIpv6"), **description}]
    if op.get("prefixListId"):
        permission["PrefixListIds"] = [{"PrefixListId": op.get("prefixListId"), **description}]
    if op.get("referencedSecurityGroupId"):
        permission["UserIdGroupPairs"] = [
            {"GroupId": op.get("referencedSecurityGroupId"), **description}
        ]
    return permission


def _split_rule(direction: str) -> Kind:
    suffix = _DIRECTIONS[direction]

    def create(op: Op) -> Made:
        group_id = str(op.get("securityGroupId"))
        made = ec2(
            op,
            f"creating VPC Security Group {suffix} Rule ({group_id})",
            f"AuthorizeSecurityGroup{suffix}",
            GroupId=group_id,
            IpPermissions=[_rule_permission(op)],
            TagSpecifications=tagging(op, "security-group-rule"),
        )
        rule_id = made["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        return rule_id, outputs(op, rule_id)

    def outputs(op: Op, rule_id: str) -> Props:
        described(
            op,
            f"VPC Security Group {suffix} Rule",
            "DescribeSecurityGroupRules",
            "SecurityGroupRules",
            rule_id,
            SecurityGroupRuleIds=[rule_id],
        )()
        return {"securityGroupRuleId": rule_id, "arn": ec2_arn(op, "security-group-rule", rule_id)}

    def update(op: Op, rule_id: str) -> Props:
        rule: dict[str, Any] = {"IpProtocol": str(op.get("ipProtocol"))}
        rule.update(FromPort=int(op.get("fromPort", -1)), ToPort=int(op.get("toPort", -1)))
        for key, aws in _RULE_PEERS.items():
            if op.get(key):
                rule[aws] = op.get(key)
        if op.get("description"):
            rule["Description"] = op.get("description")
        ec2(
            op,
            f"updating VPC Security Group {suffix} Rule ({rule_id})",
            "ModifySecurityGroupRules",
            GroupId=op.get("securityGroupId"),
            SecurityGroupRules=[{"SecurityGroupRuleId": rule_id, "SecurityGroupRule": rule}],
        )
        return outputs(op, rule_id)

    def delete(op: Op, rule_id: str) -> None:
        ec2(
            op,
            f"deleting VPC Security Group {suffix} Rule ({rule_id})",
            f"RevokeSecurityGroup{suffix}",
            GroupId=op.get("securityGroupId"),
            SecurityGroupRuleIds=[rule_id],
        )

    return Kind(
        create,
        lambda op, rule_id: gone_if_missing(lambda: outputs(op, rule_id)),
        delete,
        update,
        ec2_retag,
    )


KINDS = {
    t.SECURITY_GROUP: Kind(
        _create_group,
        lambda op, i: gone_if_missing(lambda: _group_outputs(op, i)),
        _delete_group,
        _update_group,
        ec2_retag,
    ),
    t.DEFAULT_SECURITY_GROUP: Kind(
        _create_default_group,
        lambda op, i: gone_if_missing(lambda: _group_outputs(op, i)),
        _forget_default_group,
        _update_default_group,
        ec2_retag,
    ),
    t.SECURITY_GROUP_INGRESS_RULE: _split_rule("ingress"),
    t.SECURITY_GROUP_EGRESS_RULE: _split_rule("egress"),
}
