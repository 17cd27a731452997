"""TEST-ONLY stand-in: IAM roles, their inline and attached policies, and instance profiles."""

from __future__ import annotations

import time
import uuid
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, Untagged
from tests.engine.standin_aws.wire import Props


def _role(op: Op, doing: str, operation: str, name: str, **arguments: Any) -> Any:
    return op.call(f"{doing} IAM Role ({name})", "iam", operation, RoleName=name, **arguments)


def _profile(op: Op, doing: str, operation: str, name: str, **arguments: Any) -> Any:
    action = f"{doing} IAM Instance Profile ({name})"
    return op.call(action, "iam", operation, InstanceProfileName=name, **arguments)


def _tags(op: Op) -> dict[str, Any]:
    return {"Tags": op.tag_list()} if op.tags_all else {}


class _Role(Kind):
    def create(self, op: Op) -> Made:
        name, document = str(op.get("name")), op.get("assumeRolePolicy")
        details = {"Path": op.get("path", "/"), "Description": op.get("description", "")}
        _role(
            op,
            "creating",
            "CreateRole",
            name,
            AssumeRolePolicyDocument=document,
            **details,
            **_tags(op),
        )
        return name, self.read(op, name) or {}

    def outputs(self, op: Op, name: str) -> Props:
        role = _role(op, "reading", "GetRole", name)["Role"]
        return {
            "arn": role["Arn"],
            "uniqueId": role["RoleId"],
            "name": name,
            "createDate": role["CreateDate"].isoformat(),
            "description": role.get("Description", ""),
        }

    def update(self, op: Op, name: str) -> Props:
        if op.changed("assumeRolePolicy"):
            document = op.get("assumeRolePolicy")
            _role(op, "updating", "UpdateAssumeRolePolicy", name, PolicyDocument=document)
        if op.changed("description"):
            _role(op, "updating", "UpdateRole", name, Description=op.get("description", ""))
        return self.read(op, name) or {}

    def retag(self, op: Op, name: str) -> None:
        gone = set(op.old("tags") or {}) - set(op.tags_all)
        if gone:
            _role(op, "untagging", "UntagRole", name, TagKeys=sorted(gone))
        if op.tags_all:
            _role(op, "tagging", "TagRole", name, Tags=op.tag_list())

    def delete(self, op: Op, name: str) -> None:
        _role(op, "deleting", "DeleteRole", name)


class _RolePolicy(Untagged):
    """An inline policy: id "<role>:<name>", as the provider's."""

    def create(self, op: Op) -> Made:
        role, name, document = str(op.get("role")), str(op.get("name")), op.get("policy")
        _role(op, "putting", "PutRolePolicy", role, PolicyName=name, PolicyDocument=document)
        return f"{role}:{name}", {}

    def outputs(self, op: Op, policy_id: str) -> Props:
        role, name = policy_id.split(":", 1)
        return {
            "policy": _role(op, "reading", "GetRolePolicy", role, PolicyName=name)["PolicyDocument"]
        }

    def update(self, op: Op, policy_id: str) -> Props:
        return self.create(op)[1]

    def delete(self, op: Op, policy_id: str) -> None:
        role, name = policy_id.split(":", 1)
        _role(op, "deleting", "DeleteRolePolicy", role, PolicyName=name)


class _Attachment(Untagged):
    """An attached managed policy: the provider's id is the role and a unique suffix."""

    def create(self, op: Op) -> Made:
        role, policy = str(op.get("role")), str(op.get("policyArn"))
        _role(op, "attaching policy to", "AttachRolePolicy", role, PolicyArn=policy)
        return f"{role}-{time.strftime('%Y%m%d%H%M%S')}{uuid.uuid4().int % 10**12:012d}", {}

    def read(self, op: Op, attachment_id: str) -> Props | None:
        return super().read(op, attachment_id) or None

    def outputs(self, op: Op, attachment_id: str) -> Props:
        role, policy = str(op.get("role")), str(op.get("policyArn"))
        listed = _role(op, "reading policies of", "ListAttachedRolePolicies", role)
        attached = {item["PolicyArn"] for item in listed["AttachedPolicies"]}
        return {"role": role, "policyArn": policy} if policy in attached else {}

    def delete(self, op: Op, attachment_id: str) -> None:
        role, policy = str(op.get("role")), str(op.get("policyArn"))
        _role(op, "detaching policy from", "DetachRolePolicy", role, PolicyArn=policy)


class _Profile(Kind):
    def create(self, op: Op) -> Made:
        name = str(op.get("name"))
        _profile(
            op, "creating", "CreateInstanceProfile", name, Path=op.get("path", "/"), **_tags(op)
        )
        self._swap_role(op, name, None, op.get("role"))
        return name, self.read(op, name) or {}

    def _swap_role(self, op: Op, name: str, old: str | None, new: str | None) -> None:
        """An instance profile holds at most one role."""
        if old:
            _profile(op, "removing role from", "RemoveRoleFromInstanceProfile", name, RoleName=old)
        if new:
            _profile(op, "adding role to", "AddRoleToInstanceProfile", name, RoleName=new)

    def outputs(self, op: Op, name: str) -> Props:
        profile = _profile(op, "reading", "GetInstanceProfile", name)["InstanceProfile"]
        roles = profile.get("Roles") or []
        return {
            "arn": profile["Arn"],
            "uniqueId": profile["InstanceProfileId"],
            "name": name,
            "role": roles[0]["RoleName"] if roles else None,
        }

    def update(self, op: Op, name: str) -> Props:
        if op.changed("role"):
            self._swap_role(op, name, op.old("role"), op.get("role"))
        return self.read(op, name) or {}

    def retag(self, op: Op, name: str) -> None:
        if op.tags_all:
            _profile(op, "tagging", "TagInstanceProfile", name, Tags=op.tag_list())

    def delete(self, op: Op, name: str) -> None:
        self._swap_role(op, name, (self.read(op, name) or {}).get("role"), None)
        _profile(op, "deleting", "DeleteInstanceProfile", name)


KINDS = {
    t.IAM_ROLE: _Role(),
    t.IAM_ROLE_POLICY: _RolePolicy(),
    t.IAM_ROLE_POLICY_ATTACHMENT: _Attachment(),
    t.IAM_INSTANCE_PROFILE: _Profile(),
}
