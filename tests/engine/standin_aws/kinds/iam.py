"""TEST-ONLY stand-in: IAM roles, their inline and attached policies, and instance profiles."""

from __future__ import annotations

import time
import uuid
from functools import partial
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, gone_if_missing
from tests.engine.standin_aws.wire import Props


def _role(op: Op, doing: str, operation: str, name: str, **arguments: Any) -> Any:
    return op.call(f"{doing} IAM Role ({name})", "iam", operation, RoleName=name, **arguments)


def _tags(op: Op) -> dict[str, Any]:
    return {"Tags": op.tag_list()} if op.tags_all else {}


def _create_role(op: Op) -> Made:
    name = str(op.get("name"))
    document = op.get("assumeRolePolicy")
    details = {"Path": op.get("path", "/"), "Description": op.get("description", ""), **_tags(op)}
    _role(op, "creating", "CreateRole", name, AssumeRolePolicyDocument=document, **details)
    return name, _read_role(op, name) or {}


def _read_role(op: Op, name: str) -> Props | None:
    def read() -> Props:
        role = _role(op, "reading", "GetRole", name)["Role"]
        return {
            "arn": role["Arn"],
            "uniqueId": role["RoleId"],
            "name": name,
            "createDate": role["CreateDate"].isoformat(),
            "description": role.get("Description", ""),
        }

    return gone_if_missing(read)


def _update_role(op: Op, name: str) -> Props:
    if op.changed("assumeRolePolicy"):
        document = op.get("assumeRolePolicy")
        _role(op, "updating", "UpdateAssumeRolePolicy", name, PolicyDocument=document)
    if op.changed("description"):
        _role(op, "updating", "UpdateRole", name, Description=op.get("description", ""))
    return _read_role(op, name) or {}


def _retag_role(op: Op, name: str) -> None:
    gone = set(op.old("tags") or {}) - set(op.tags_all)
    if gone:
        _role(op, "untagging", "UntagRole", name, TagKeys=sorted(gone))
    if op.tags_all:
        _role(op, "tagging", "TagRole", name, Tags=op.tag_list())


# -- inline policies: id "<role>:<name>", as the provider's ------------------------------------


def _put_role_policy(op: Op) -> Made:
    role, name = str(op.get("role")), str(op.get("name"))
    document = op.get("policy")
    _role(op, "putting", "PutRolePolicy", role, PolicyName=name, PolicyDocument=document)
    return f"{role}:{name}", {}


def _read_role_policy(op: Op, policy_id: str) -> Props | None:
    role, name = policy_id.split(":", 1)
    read = partial(_role, op, "reading", "GetRolePolicy", role, PolicyName=name)
    return gone_if_missing(lambda: {"policy": read()["PolicyDocument"]})


def _delete_role_policy(op: Op, policy_id: str) -> None:
    role, name = policy_id.split(":", 1)
    _role(op, "deleting", "DeleteRolePolicy", role, PolicyName=name)


# -- attached managed policies: the provider's id is the role and a unique suffix --------------


def _attach(op: Op) -> Made:
    role, policy = str(op.get("role")), str(op.get("policyArn"))
    _role(op, "attaching policy to", "AttachRolePolicy", role, PolicyArn=policy)
    return f"{role}-{time.strftime('%Y%m%d%H%M%S')}{uuid.uuid4().int % 10**12:012d}", {}


def _read_attachment(op: Op, attachment_id: str) -> Props | None:
    role, policy = str(op.get("role")), str(op.get("policyArn"))

    def read() -> Props:
        listed = _role(op, "reading policies of", "ListAttachedRolePolicies", role)
        attached = {item["PolicyArn"] for item in listed["AttachedPolicies"]}
        return {"role": role, "policyArn": policy} if policy in attached else {}

    return gone_if_missing(read) or None


def _detach(op: Op, attachment_id: str) -> None:
    role, policy = str(op.get("role")), str(op.get("policyArn"))
    _role(op, "detaching policy from", "DetachRolePolicy", role, PolicyArn=policy)


# -- instance profiles --------------------------------------------------------------------------


def _profile(op: Op, doing: str, operation: str, name: str, **arguments: Any) -> Any:
    action = f"{doing} IAM Instance Profile ({name})"
    return op.call(action, "iam", operation, InstanceProfileName=name, **arguments)


def _create_profile(op: Op) -> Made:
    name = str(op.get("name"))
    _profile(op, "creating", "CreateInstanceProfile", name, Path=op.get("path", "/"), **_tags(op))
    _swap_role(op, name, None, op.get("role"))
    return name, _read_profile(op, name) or {}


def _swap_role(op: Op, name: str, old: str | None, new: str | None) -> None:
    """An instance profile holds at most one role."""
    if old:
        _profile(op, "removing role from", "RemoveRoleFromInstanceProfile", name, RoleName=old)
    if new:
        _profile(op, "adding role to", "AddRoleToInstanceProfile", name, RoleName=new)


def _read_profile(op: Op, name: str) -> Props | None:
    def read() -> Props:
        profile = _profile(op, "reading", "GetInstanceProfile", name)["InstanceProfile"]
        roles = profile.get("Roles") or []
        return {
            "arn": profile["Arn"],
            "uniqueId": profile["InstanceProfileId"],
            "name": name,
            "role": roles[0]["RoleName"] if roles else None,
        }

    return gone_if_missing(read)


def _update_profile(op: Op, name: str) -> Props:
    if op.changed("role"):
        _swap_role(op, name, op.old("role"), op.get("role"))
    return _read_profile(op, name) or {}


def _retag_profile(op: Op, name: str) -> None:
    if op.tags_all:
        _profile(op, "tagging", "TagInstanceProfile", name, Tags=op.tag_list())


def _delete_profile(op: Op, name: str) -> None:
    _swap_role(op, name, (_read_profile(op, name) or {}).get("role"), None)
    _profile(op, "deleting", "DeleteInstanceProfile", name)


KINDS = {
    t.IAM_ROLE: Kind(
        _create_role,
        _read_role,
        lambda op, name: _role(op, "deleting", "DeleteRole", name),
        _update_role,
        _retag_role,
    ),
    t.IAM_ROLE_POLICY: Kind(
        _put_role_policy,
        _read_role_policy,
        _delete_role_policy,
        lambda op, policy_id: _put_role_policy(op)[1],
        tagged=False,
    ),
    t.IAM_ROLE_POLICY_ATTACHMENT: Kind(_attach, _read_attachment, _detach, tagged=False),
    t.IAM_INSTANCE_PROFILE: Kind(
        _create_profile, _read_profile, _delete_profile, _update_profile, _retag_profile
    ),
}
