"""TEST-ONLY stand-in AWS provider: what AWS knows about its own state, read from the cloud file.

The invariants (and the Auto Scaling model) ask the cloud the questions AWS answers before
accepting a call: which VPC a subnet is in, whether that VPC has an internet gateway attached
right now, which key an alias names and what its policy says, how a bucket encrypts. Every
function takes the cloud file's data (inside the caller's transaction) and never changes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from shared import aws_types as t
from shared.aws_facts import zone_names
from tests.engine.standin_aws.account import (
    ProviderConfig,
    default_subnet_cidr,
    default_subnet_id,
    default_vpc_id,
)
from tests.engine.standin_aws.wire import plain

# Each type under every token the provider accepts for it (`aws:lb/...` and `aws:alb/...`).
LOAD_BALANCERS = t.with_aliases(t.LOAD_BALANCER)
TARGET_GROUPS = t.with_aliases(t.TARGET_GROUP)
LISTENERS = t.with_aliases(t.LISTENER)
LISTENER_RULES = t.with_aliases(t.LISTENER_RULE)
TARGET_ATTACHMENTS = t.with_aliases(t.TARGET_GROUP_ATTACHMENT)
SECURITY_GROUP_RULES = (
    t.SECURITY_GROUP_INGRESS_RULE,
    t.SECURITY_GROUP_EGRESS_RULE,
    t.SECURITY_GROUP_RULE,
)
# A gateway attachment is usable once AWS reports it "available" (DescribeInternetGateways).
ATTACHED = "available"

Record = dict[str, Any]


def records(data: Mapping[str, Any], *types: str) -> Iterator[Record]:
    """The live records of the given types (all types when none is given)."""
    for record in data["resources"].values():
        if not types or record["type"] in types:
            yield record


def out(record: Mapping[str, Any], key: str) -> Any:
    """An output of a record, secrets unwrapped."""
    return plain(record["outputs"].get(key))


def facts(record: Record) -> dict[str, Any]:
    """The stand-in's own notes on a record (what AWS knows but the provider does not return)."""
    return record.setdefault("facts", {})  # type: ignore[no-any-return]


def by_id(data: Mapping[str, Any], types: tuple[str, ...], resource_id: str) -> Record | None:
    """The record of one of `types` whose id or ARN is `resource_id`."""
    for record in records(data, *types):
        if resource_id in (record["id"], out(record, "arn")):
            return record
    return None


# -- network ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subnet:
    id: str
    vpc_id: str
    zone: str
    cidr: str | None = None
    public_on_launch: bool = False


def subnet(data: Mapping[str, Any], config: ProviderConfig, subnet_id: str) -> Subnet | None:
    """A subnet the program created, or one of the default VPC's; None if AWS has no such id."""
    for record in records(data, t.SUBNET):
        if record["id"] == subnet_id:
            return Subnet(
                subnet_id,
                str(out(record, "vpcId")),
                str(out(record, "availabilityZone")),
                out(record, "cidrBlock"),
                bool(out(record, "mapPublicIpOnLaunch")),
            )
    for zone in zone_names(config.region):
        if default_subnet_id(config, zone) == subnet_id:
            return Subnet(subnet_id, default_vpc_id(config), zone, default_subnet_cidr(zone), True)
    return None


def vpc_exists(data: Mapping[str, Any], config: ProviderConfig, vpc_id: str) -> bool:
    return vpc_id == default_vpc_id(config) or by_id(data, (t.VPC,), vpc_id) is not None


def vpc_cidr(data: Mapping[str, Any], vpc_id: str) -> str | None:
    record = by_id(data, (t.VPC,), vpc_id)
    return None if record is None else out(record, "cidrBlock")


def vpc_dns(data: Mapping[str, Any], config: ProviderConfig, vpc_id: str) -> tuple[bool, bool]:
    """(enableDnsSupport, enableDnsHostnames) of a VPC; the default VPC has both."""
    if vpc_id == default_vpc_id(config):
        return True, True
    record = by_id(data, (t.VPC,), vpc_id)
    if record is None:
        return False, False
    return out(record, "enableDnsSupport") is not False, out(record, "enableDnsHostnames") is True


def internet_attached(data: Mapping[str, Any], config: ProviderConfig, vpc_id: str) -> bool:
    """Whether an internet gateway is attached (state available) to the VPC at this moment.

    The default VPC always has one; any other VPC only once an attachment has completed.
    """
    if vpc_id == default_vpc_id(config):
        return True
    for record in records(data, t.INTERNET_GATEWAY, t.INTERNET_GATEWAY_ATTACHMENT):
        attachment = record.get("facts", {}).get("attachment") or {}
        if attachment.get("vpcId") == vpc_id and attachment.get("state") == ATTACHED:
            return True
    return False


# A VPC endpoint's route tables, subnets and groups may also come from association resources.
ENDPOINT_ASSOCIATIONS = {
    "routeTableIds": (
        t.VPC_ENDPOINT_ROUTE_TABLE_ASSOCIATION,
        "routeTableId",
    ),
    "subnetIds": (t.VPC_ENDPOINT_SUBNET_ASSOCIATION, "subnetId"),
    "securityGroupIds": (
        t.VPC_ENDPOINT_SECURITY_GROUP_ASSOCIATION,
        "securityGroupId",
    ),
}


def endpoint_members(data: Mapping[str, Any], endpoint: Record, key: str) -> list[str]:
    """A VPC endpoint's `routeTableIds`, `subnetIds` or `securityGroupIds`: its own and those
    association resources add."""
    association, member = ENDPOINT_ASSOCIATIONS[key]
    found = [str(item) for item in out(endpoint, key) or []]
    for record in records(data, association):
        if out(record, "vpcEndpointId") == endpoint["id"] and out(record, member) not in found:
            found.append(str(out(record, member)))
    return found


def security_group_vpc(data: Mapping[str, Any], group_id: str) -> str | None:
    record = by_id(data, (t.SECURITY_GROUP,), group_id)
    return None if record is None else str(out(record, "vpcId"))


# -- KMS -------------------------------------------------------------------------------------


def kms_key(data: Mapping[str, Any], reference: str) -> Record | None:
    """The key a key id, key ARN, alias name or alias ARN refers to."""
    target = reference
    if reference.startswith("alias/") or ":alias/" in reference:
        name = "alias/" + reference.split("alias/", 1)[1]
        aliases = [alias for alias in records(data, t.KMS_ALIAS) if out(alias, "name") == name]
        if not aliases:
            return None
        target = str(out(aliases[0], "targetKeyId"))
    for key in records(data, t.KMS_KEY):
        if target in (key["id"], out(key, "arn"), out(key, "keyId")):
            return key
    return None


def key_policy(data: Mapping[str, Any], key: Record) -> dict[str, Any]:
    """The key's policy: a KeyPolicy resource's, else the key's own, else KMS's default one
    (the account root may do everything: a delegation to IAM, not a grant to anyone)."""
    names = {key["id"], out(key, "arn")}
    text = next(
        (
            out(policy, "policy")
            for policy in records(data, t.KMS_KEY_POLICY)
            if out(policy, "keyId") in names
        ),
        None,
    ) or out(key, "policy")
    if text:
        return json.loads(text)  # type: ignore[no-any-return]
    account = str(out(key, "arn")).split(":")[4]
    root = f"arn:{str(out(key, 'arn')).split(':')[1]}:iam::{account}:root"
    return {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"}
        ]
    }


def granted_operations(data: Mapping[str, Any], key: Record, grantee: str) -> set[str]:
    """KMS operations `grantee` holds on `key` through grants."""
    names = {key["id"], out(key, "arn")}
    found: set[str] = set()
    for grant in records(data, t.KMS_GRANT):
        if out(grant, "keyId") in names and out(grant, "granteePrincipal") == grantee:
            found.update(out(grant, "operations") or [])
    return found


# -- IAM -------------------------------------------------------------------------------------


def _documents(texts: Iterator[Any]) -> list[dict[str, Any]]:
    return [json.loads(text) for text in texts if text]


def role_policies(data: Mapping[str, Any], role: Record) -> list[dict[str, Any]]:
    """The identity policies a role holds that the stand-in can read: inline ones (the role's
    `inlinePolicies`, `RolePolicy` resources) and customer managed `Policy` resources attached
    to it. AWS managed policies are not in the cloud file: they grant nothing here."""
    names = {role["id"], out(role, "name"), out(role, "arn")}
    inline = _documents(item.get("policy") for item in out(role, "inlinePolicies") or [])
    inline += _documents(
        out(policy, "policy")
        for policy in records(data, t.IAM_ROLE_POLICY)
        if out(policy, "role") in names
    )
    attached = set(out(role, "managedPolicyArns") or []) | {
        out(attachment, "policyArn")
        for attachment in records(data, t.IAM_ROLE_POLICY_ATTACHMENT)
        if out(attachment, "role") in names
    }
    managed = _documents(
        out(policy, "policy")
        for policy in records(data, t.IAM_POLICY)
        if out(policy, "arn") in attached
    )
    return inline + managed


# -- S3 --------------------------------------------------------------------------------------


def bucket_exists(data: Mapping[str, Any], bucket: str) -> bool:
    return any(out(record, "bucket") == bucket for record in records(data, t.BUCKET))


def bucket_policy(data: Mapping[str, Any], bucket: str) -> dict[str, Any] | None:
    for record in records(data, t.BUCKET_POLICY):
        if out(record, "bucket") == bucket and out(record, "policy"):
            return json.loads(out(record, "policy"))  # type: ignore[no-any-return]
    return None


def default_encryption(data: Mapping[str, Any], bucket: str) -> str:
    """The bucket's default encryption algorithm; S3 applies SSE-S3 (AES256) when none is set."""
    for record in records(data, t.BUCKET_ENCRYPTION):
        if out(record, "bucket") != bucket:
            continue
        for rule in out(record, "rules") or []:
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            if default.get("sseAlgorithm"):
                return str(default["sseAlgorithm"])
    return "AES256"
