"""TEST-ONLY stand-in AWS provider: launch templates, and whether their instances can launch.

Every update that changes what instances launch with adds a version (`latestVersion` + 1;
`defaultVersion` follows with `updateDefaultVersion`); each version's content is kept in
`facts["versions"]`. An instance whose volume is encrypted with a customer KMS key launches
only if the key lets the service-linked role AWSServiceRoleForAutoScaling use it (Encrypt,
Decrypt, ReEncrypt*, GenerateDataKey*, DescribeKey, and CreateGrant for AWS resources), through
the key policy or a grant (`launch_problem`); a disabled or unknown key cannot launch either.
"""

from __future__ import annotations

from typing import Any

from tests.engine.standin_aws import lookups, policies
from tests.engine.standin_aws.account import AUTOSCALING_ROLE_PATH
from tests.engine.standin_aws.change import Change
from tests.engine.standin_aws.wire import plain

UNVERSIONED = frozenset(
    {"tags", "tagsAll", "updateDefaultVersion", "defaultVersion", "name", "namePrefix", "region"}
)
SLR_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
    "kms:CreateGrant",
)
LAUNCH_FAILED = (
    "Instance became unhealthy while waiting for instance to be in InService state. "
    "Termination Reason: Client.InternalError: Client error on launch"
)
KEY_STATE = "Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state"


def truthy(value: Any) -> bool:
    """Launch template booleans are strings in the provider's schema ("true")."""
    return value is True or str(value).lower() == "true"


def version_content(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in plain(inputs).items()
        if key not in UNVERSIONED and not key.startswith("__")
    }


def created_launch_template(change: Change) -> None:
    change.facts["versions"] = {"1": version_content(change.inputs)}


def update_launch_template(change: Change) -> None:
    versions = change.facts.setdefault("versions", {})
    latest = int(change.live.get("latestVersion") or 1)
    content = version_content(change.inputs)
    if versions.get(str(latest)) != content:
        latest += 1
        versions[str(latest)] = content
    default = int(change.live.get("defaultVersion") or 1)
    if change.input("updateDefaultVersion"):
        default = latest
    elif change.input("defaultVersion"):
        default = int(change.input("defaultVersion"))
    change.outputs.update(latestVersion=latest, defaultVersion=default)


def service_linked_role(account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:{AUTOSCALING_ROLE_PATH}"


def key_problem(change: Change, reference: str) -> str | None:
    """Why the Auto Scaling service-linked role cannot use the key (None: it can)."""
    key = lookups.kms_key(change.data, reference)
    if key is None or lookups.out(key, "isEnabled") is False:
        return KEY_STATE
    role = service_linked_role(change.config.account, change.config.partition)
    document = lookups.key_policy(change.data, key)
    granted = lookups.granted_operations(change.data, key, role)
    base = {
        "kms:CallerAccount": change.config.account,
        "kms:ViaService": f"ec2.{change.region}.amazonaws.com",
    }
    missing = []
    for action in SLR_KEY_ACTIONS:
        context = dict(base)
        if action == "kms:CreateGrant":
            context["kms:GrantIsForAWSResource"] = "true"
        principal = policies.Principal(aws=role)
        if action.split(":")[1] not in granted and not policies.allowed(
            document, action=action, principal=principal, context=context
        ):
            missing.append(action)
    if not missing:
        return None
    # AWS says no more than this; the bracket is the stand-in's hint for whoever reads a test.
    return (
        f"{LAUNCH_FAILED} [stand-in: the policy of {lookups.out(key, 'arn')} does not let "
        f"{role} use the key: {', '.join(missing)}]"
    )


def launch_problem(change: Change, content: dict[str, Any]) -> str | None:
    for mapping in content.get("blockDeviceMappings") or []:
        ebs = mapping.get("ebs") or {}
        if truthy(ebs.get("encrypted")) and ebs.get("kmsKeyId"):
            problem = key_problem(change, str(ebs["kmsKeyId"]))
            if problem:
                return problem
    return None
