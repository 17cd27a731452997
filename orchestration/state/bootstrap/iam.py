"""`invoke bootstrap`, IAM: the service-linked roles, GitHub's OIDC provider, the team roles.

Judged like the bucket and the key, then created or put back:
- the service-linked roles the environment's plan needs (an Auto Scaling group: Auto Scaling's,
  a load balancer: Elastic Load Balancing's), which AWS creates only for a caller allowed
  `iam:CreateServiceLinkedRole`: bootstrap's caller, not the teams;
- the account's OpenID Connect provider for GitHub Actions, with audience `sts.amazonaws.com`;
- one deploy role per team (`orchestration.roles`): its trust policy, and its permission policy
  as customer managed policies `<role>-1`, `<role>-2` ... (`split_policy`), tagged as
  bootstrap's. A role bootstrap did not make is adopted only if it is exactly what `invoke
  roles` prints; its own are put back (trust, policy versions, nothing else attached).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError

from orchestration.plan.environment import EnvironmentPlan
from orchestration.roles.documents import TeamRole
from orchestration.roles.split import split_policy
from orchestration.state.aws import error_code
from orchestration.state.bootstrap.judge import BOOTSTRAP_MARK, MANAGED_BY_TAG, Part, failed
from shared import aws_types as t
from shared.github import OIDC_AUDIENCE, OIDC_PROVIDER_HOST
from shared.naming import tags
from shared.settings import EnvironmentSettings

# A resource type of the plan -> the service whose service-linked role it needs, and the role.
SERVICE_LINKED_ROLES = {
    t.AUTOSCALING_GROUP: ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"),
    t.LOAD_BALANCER: (
        "elasticloadbalancing.amazonaws.com",
        "AWSServiceRoleForElasticLoadBalancing",
    ),
}
# The Component tag of what bootstrap makes for deploying (the state's is `state`).
DEPLOY_COMPONENT = "deploy"
# A managed policy keeps five versions; the oldest is deleted before a sixth is made.
POLICY_VERSIONS_MAX = 5


@dataclass
class RoleWork:
    """A team's role, judged: the documents it must hold, and what differs."""

    role: TeamRole
    documents: list[dict[str, Any]]
    part: Part


def service_linked_roles(plan: EnvironmentPlan) -> list[tuple[str, str]]:
    """(service, role name) of every service-linked role the plan's resources need."""
    types = {resource.type for stack in plan.stacks for resource in stack.resources}
    return sorted({SERVICE_LINKED_ROLES[type_] for type_ in types & set(SERVICE_LINKED_ROLES)})


def judge_service_role(iam: Any, service: str, name: str) -> Part:
    """Found by its path, `/aws-service-role/<service>/`, which AWS gives every such role."""
    part = Part(what=f"service-linked role {name} ({service})")
    try:
        found = iam.list_roles(PathPrefix=f"/aws-service-role/{service}/").get("Roles", [])
    except (ClientError, BotoCoreError) as error:
        raise failed(part.what, error) from error
    part.missing = not found
    return part


def apply_service_role(iam: Any, part: Part, service: str) -> None:
    try:
        iam.create_service_linked_role(AWSServiceName=service)
    except (ClientError, BotoCoreError) as error:
        raise failed(part.what, error) from error


def oidc_provider_arn(partition: str, account: str) -> str:
    return f"arn:{partition}:iam::{account}:oidc-provider/{OIDC_PROVIDER_HOST}"


def judge_oidc_provider(iam: Any, arn: str) -> Part:
    part = Part(what=f"OIDC provider {OIDC_PROVIDER_HOST}", arn=arn)
    try:
        found = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise failed(part.what, error) from error
        part.missing = True
        return part
    if OIDC_AUDIENCE not in found.get("ClientIDList", []):
        part.updates.append(f"accepts the audience {OIDC_AUDIENCE} (did not)")
    return part


def apply_oidc_provider(iam: Any, part: Part, settings: EnvironmentSettings) -> None:
    try:
        if part.missing:
            iam.create_open_id_connect_provider(
                Url=f"https://{OIDC_PROVIDER_HOST}",
                ClientIDList=[OIDC_AUDIENCE],
                Tags=_tags(settings),
            )
        elif part.updates:
            iam.add_client_id_to_open_id_connect_provider(
                OpenIDConnectProviderArn=part.arn, ClientID=OIDC_AUDIENCE
            )
    except (ClientError, BotoCoreError) as error:
        raise failed(part.what, error) from error


def judge_team_role(iam: Any, role: TeamRole) -> RoleWork:
    """The role as it is against `role`: missing, ours (put back), adoptable, or refused."""
    documents = split_policy(role.policy)
    part = Part(what=f"deploy role {role.role_name} (team {role.team})")
    work = RoleWork(role, documents, part)
    try:
        found = iam.get_role(RoleName=role.role_name)["Role"]
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise failed(part.what, error) from error
        part.missing = True
        return work
    try:
        part.arn = str(found["Arn"])
        role_tags = iam.list_role_tags(RoleName=role.role_name).get("Tags", [])
        part.ours = {tag["Key"]: tag["Value"] for tag in role_tags}.get(
            MANAGED_BY_TAG
        ) == BOOTSTRAP_MARK
        if _document(found["AssumeRolePolicyDocument"]) != role.trust_policy:
            part.differences["trust-policy"] = "its trust policy is not `invoke roles`' one"
        attached = {
            policy["PolicyName"]: policy["PolicyArn"]
            for policy in iam.list_attached_role_policies(RoleName=role.role_name)[
                "AttachedPolicies"
            ]
        }
        wanted = policy_names(role.role_name, len(documents))
        for name, document in zip(wanted, documents, strict=True):
            if name not in attached:
                part.differences[f"policy {name}"] = f"{name} is not attached"
            elif _default_document(iam, attached[name]) != document:
                part.differences[f"policy {name}"] = f"{name} differs from `invoke roles`"
        others = sorted(set(attached) - set(wanted))
        if others:
            part.differences["other-policies"] = f"also has {', '.join(others)} attached"
        inline = iam.list_role_policies(RoleName=role.role_name).get("PolicyNames", [])
        if inline:
            part.differences["inline-policies"] = f"has inline policies {', '.join(inline)}"
    except (ClientError, BotoCoreError) as error:
        raise failed(part.what, error) from error
    if part.differences and not part.ours:
        listed = "; ".join(part.differences.values())
        part.refusal = (
            f"{part.what} exists, was not made by bootstrap, and differs ({listed}); delete it "
            "or make it what `invoke roles` prints"
        )
    return work


def apply_team_role(
    iam: Any, work: RoleWork, settings: EnvironmentSettings, *, partition: str, account: str
) -> None:
    role, part = work.role, work.part
    name = role.role_name
    try:
        if part.missing:
            created = iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(role.trust_policy),
                Description=f"Deploys team {role.team}'s projects ({', '.join(role.projects)})",
                Tags=_tags(settings),
            )
            part.arn = str(created["Role"]["Arn"])
        elif "trust-policy" in part.differences:
            iam.update_assume_role_policy(
                RoleName=name, PolicyDocument=json.dumps(role.trust_policy)
            )
        attached = {
            policy["PolicyName"]: policy["PolicyArn"]
            for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        }
        wanted = policy_names(name, len(work.documents))
        for policy_name, document in zip(wanted, work.documents, strict=True):
            arn = f"arn:{partition}:iam::{account}:policy/{policy_name}"
            _put_policy(iam, arn, policy_name, document, settings)
            if policy_name not in attached:
                iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        for policy_name, arn in attached.items():
            if policy_name not in wanted:
                iam.detach_role_policy(RoleName=name, PolicyArn=arn)
        for inline in iam.list_role_policies(RoleName=name).get("PolicyNames", []):
            iam.delete_role_policy(RoleName=name, PolicyName=inline)
    except (ClientError, BotoCoreError) as error:
        raise failed(part.what, error) from error


def policy_names(role_name: str, count: int) -> list[str]:
    return [f"{role_name}-{index}" for index in range(1, count + 1)]


def _put_policy(
    iam: Any, arn: str, name: str, document: dict[str, Any], settings: EnvironmentSettings
) -> None:
    """The managed policy `name` holding `document` as its default version."""
    try:
        current = _default_document(iam, arn)
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        iam.create_policy(
            PolicyName=name, PolicyDocument=json.dumps(document), Tags=_tags(settings)
        )
        return
    if current == document:
        return
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    if len(versions) >= POLICY_VERSIONS_MAX:
        oldest = min(
            (version for version in versions if not version["IsDefaultVersion"]),
            key=lambda version: version["CreateDate"],
        )
        iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=True)


def _default_document(iam: Any, arn: str) -> Any:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    found = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    return _document(found["Document"])


def _document(value: Any) -> Any:
    """A policy document as IAM returns it: a dict, or URL-encoded JSON text."""
    return json.loads(unquote(value)) if isinstance(value, str) else value


def _tags(settings: EnvironmentSettings) -> list[dict[str, str]]:
    values = {**tags(settings, DEPLOY_COMPONENT), MANAGED_BY_TAG: BOOTSTRAP_MARK}
    return [{"Key": key, "Value": value} for key, value in values.items()]


@dataclass
class IamWork:
    """Everything IAM bootstrap judged, in the order it is made."""

    iam: Any
    oidc: Part
    service_roles: list[tuple[Part, str]]
    roles: list[RoleWork]

    @property
    def parts(self) -> list[Part]:
        return [
            self.oidc,
            *(part for part, _service in self.service_roles),
            *(work.part for work in self.roles),
        ]


def judge_iam(
    iam: Any, plan: EnvironmentPlan, roles: list[TeamRole], *, partition: str, account: str
) -> IamWork:
    """Judge the OIDC provider, the service-linked roles and the team roles (read only)."""
    return IamWork(
        iam=iam,
        oidc=judge_oidc_provider(iam, oidc_provider_arn(partition, account)),
        service_roles=[
            (judge_service_role(iam, service, name), service)
            for service, name in service_linked_roles(plan)
        ],
        roles=[judge_team_role(iam, role) for role in roles],
    )


def apply_iam(
    work: IamWork, settings: EnvironmentSettings, *, partition: str, account: str
) -> None:
    """Create what is missing and put back what differs on bootstrap's own."""
    if not work.oidc.unchanged:
        apply_oidc_provider(work.iam, work.oidc, settings)
    for part, service in work.service_roles:
        if part.missing:
            apply_service_role(work.iam, part, service)
    for role in work.roles:
        if not role.part.unchanged:
            apply_team_role(work.iam, role, settings, partition=partition, account=account)
