"""Names and tags for every resource, derived from the settings and nowhere else.

Logical names (what Pulumi tracks) and physical names (what AWS sees) both follow
`<app>-<env>-<component>`. Every physical-name builder returns a name that AWS accepts or raises
`ValueError` saying why none can be made, so a bad name fails in a test or a plan, never in a
deploy (an app name with capitals once produced `InvalidBucketName`).

Where AWS keeps names unique and the resource can be replaced (security groups, load balancers,
target groups, launch templates, Auto Scaling groups), there is no fixed physical name: Pulumi
replaces by creating the new resource before deleting the old one, and a fixed name would
collide with it (`InvalidGroup.Duplicate`, `DuplicateTargetGroupName`, ...). Those get a prefix
the provider completes (`name_prefix`) or a logical name Pulumi auto-names from; this module
decides both. Buckets, the key alias and the IAM names stay deterministic: the buckets are
protected and never replaced, and the others are updated in place.
"""

from __future__ import annotations

import hashlib
import re

from shared.limits import REGION_PATTERN
from shared.settings import EnvironmentSettings

MANAGED_BY = "pulumi"
BUCKET_NAME_MIN = 3
BUCKET_NAME_MAX = 63
IAM_ROLE_NAME_MAX = 64
INSTANCE_PROFILE_NAME_MAX = 128
SECURITY_GROUP_NAME_MAX = 255
LOAD_BALANCER_NAME_MAX = 32  # ALBs and target groups
KMS_ALIAS_NAME_MAX = 250  # after the "alias/" prefix
LAUNCH_TEMPLATE_NAME_MAX = 128
AUTOSCALING_GROUP_NAME_MAX = 255
# Pulumi's auto-naming appends "-" and 7 random characters to the logical name.
AUTONAME_SUFFIX_LENGTH = 8
# A provider `name_prefix` is completed with 26 unique characters (a timestamp and a counter).
NAME_PREFIX_SUFFIX_LENGTH = 26
TAG_KEY_MAX = 127  # EC2's limit; the rest of AWS allows 128
TAG_VALUE_MAX = 256

BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
# `-an` ends the account-regional namespace form; AWS reserves it with the other suffixes.
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3", "-an")
_BUCKET_CHARS = re.compile(r"^[a-z0-9.-]+$")
_IPV4_LIKE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_HASH_LENGTH = 8
# The component of the per-environment state bucket and secrets key `invoke bootstrap` creates.
STATE_COMPONENT = "state"
# The components of the IAM roles each project's program creates, by project.
_ROLE_COMPONENTS = {"compute": ("web", "flow-logs")}


def logical_name(settings: EnvironmentSettings, component: str) -> str:
    """`<app>-<env>-<component>`: the Pulumi resource name of a component's main resource.

    Only lowercase letters, digits and single hyphens, so it is also a valid base for every
    physical name below.
    """
    app, part = _slug(settings.app), _slug(component)
    if not app or not part:
        raise ValueError(
            f"no valid name from app={settings.app!r}, component={component!r}: "
            "each needs at least one letter or digit"
        )
    return f"{app}-{settings.environment}-{part}"


def tags(settings: EnvironmentSettings, component: str) -> dict[str, str]:
    """The tags every resource of a component carries."""
    values = {
        "Project": settings.app,
        "Environment": settings.environment,
        "Component": component,
        "Owner": settings.owner,
        "Team": settings.team,
        "ManagedBy": MANAGED_BY,
    }
    for key, value in values.items():
        check_tag(key, value)
    return values


def check_tag(key: str, value: str) -> None:
    """Raise ValueError unless AWS (EC2 included) accepts the tag."""
    if not key or len(key) > TAG_KEY_MAX:
        raise ValueError(f"tag key {key!r} must be 1-{TAG_KEY_MAX} characters")
    if key.lower().startswith("aws:"):
        raise ValueError(f"tag key {key!r} must not start with 'aws:' (reserved by AWS)")
    if len(value) > TAG_VALUE_MAX:
        raise ValueError(f"tag {key!r}: value must be at most {TAG_VALUE_MAX} characters")


def bucket_name(
    settings: EnvironmentSettings, component: str, account_id: str, region: str | None = None
) -> str:
    """A valid, deterministic S3 bucket name, unique per AWS account and region."""
    return normalize_bucket_name(
        settings.app, settings.environment, component, account_id, region or settings.region
    )


def normalize_bucket_name(app: str, env: str, component: str, account_id: str, region: str) -> str:
    """Turn any app/env/component into a general-purpose bucket name valid under every AWS rule.

    Shape: `<app>-<env>-<component>-<account>-<region>`; the account and region make it unique
    (bucket names are global within a partition). Too long a base is cut and given a hash of
    the full base, so two long names never collide.
    """
    if not _ACCOUNT_ID.match(account_id):
        raise ValueError(f"account id {account_id!r} must be 12 digits")
    if not REGION_PATTERN.match(region):
        raise ValueError(f"region {region!r} is not an AWS region code such as 'us-west-2'")
    parts = [_slug(part) for part in (app, env, component)]
    if not all(parts):
        raise ValueError(
            f"no valid bucket name from app={app!r}, env={env!r}, component={component!r}: "
            "each needs at least one letter or digit"
        )
    suffix = f"-{account_id}-{region}"
    base = _fit("-".join(parts), BUCKET_NAME_MAX - len(suffix))
    name = base + suffix
    problems = bucket_name_problems(name)
    if problems:
        raise ValueError(f"no valid bucket name from app={app!r}: {'; '.join(problems)}")
    return name


def bucket_name_problems(name: str) -> list[str]:
    """Every AWS general-purpose bucket naming rule that `name` breaks (empty when valid)."""
    problems = []
    if not BUCKET_NAME_MIN <= len(name) <= BUCKET_NAME_MAX:
        problems.append(f"must be 3-63 characters long (is {len(name)})")
    if not _BUCKET_CHARS.match(name):
        problems.append("may contain only lowercase letters, digits, '.' and '-'")
    if not (name[:1].isalnum() and name[-1:].isalnum()):
        problems.append("must begin and end with a letter or digit")
    if ".." in name:
        problems.append("must not contain two adjacent periods")
    if "." in name:
        problems.append("should not contain '.' (breaks virtual-hosted TLS and acceleration)")
    if _IPV4_LIKE.match(name):
        problems.append("must not be formatted as an IP address")
    problems.extend(
        f"must not start with the reserved prefix {prefix!r}"
        for prefix in BUCKET_RESERVED_PREFIXES
        if name.startswith(prefix)
    )
    problems.extend(
        f"must not end with the reserved suffix {suffix!r}"
        for suffix in BUCKET_RESERVED_SUFFIXES
        if name.endswith(suffix)
    )
    return problems


def kms_alias(settings: EnvironmentSettings, component: str) -> str:
    """`alias/<app>-<env>-<component>`, within KMS's alias rules.

    A logical name has no `/`, so the alias can never fall under the reserved `alias/aws/`.
    """
    return f"alias/{_fit(logical_name(settings, component), KMS_ALIAS_NAME_MAX)}"


def state_bucket_name(
    settings: EnvironmentSettings, account_id: str, region: str | None = None
) -> str:
    """The Pulumi state bucket of an environment: `<app>-<env>-state-<account>-<region>`.

    Like `cdk bootstrap`'s staging bucket, the account and region make the name unique, so
    every account and region an environment is deployed to gets its own.
    """
    return bucket_name(settings, STATE_COMPONENT, account_id, region)


def state_key_alias(settings: EnvironmentSettings) -> str:
    """`alias/<app>-<env>-state`: the KMS key encrypting the environment's state and secrets."""
    return kms_alias(settings, STATE_COMPONENT)


def iam_role_name(settings: EnvironmentSettings, component: str) -> str:
    """An IAM role name of at most 64 characters of `[\\w+=,.@-]`."""
    return _fit(logical_name(settings, component), IAM_ROLE_NAME_MAX)


def deploy_role_name(settings: EnvironmentSettings, team: str) -> str:
    """`<app>-<env>-deploy-<team>`: the role a team's deploys of the environment assume."""
    return iam_role_name(settings, f"deploy-{team}")


def stack_role_names(settings: EnvironmentSettings, project: str) -> tuple[str, ...]:
    """The IAM role names `project`'s program creates (`iam_role_name` of each component).

    The cloud census looks them up by name: the Resource Groups Tagging API does not list IAM
    roles. tests/roles holds this to the roles every environment's plan creates.
    """
    return tuple(iam_role_name(settings, part) for part in _ROLE_COMPONENTS.get(project, ()))


def instance_profile_name(settings: EnvironmentSettings, component: str) -> str:
    """An instance profile name of at most 128 characters of `[\\w+=,.@-]`."""
    return _fit(logical_name(settings, component), INSTANCE_PROFILE_NAME_MAX)


def name_prefix(settings: EnvironmentSettings, component: str, name_max: int) -> str:
    """`<app>-<env>-<component>-`: a `name_prefix` whose completed name fits `name_max`.

    The provider appends a unique suffix, so a replacement never collides with the resource it
    replaces.
    """
    limit = name_max - NAME_PREFIX_SUFFIX_LENGTH - 1
    return _fit(logical_name(settings, component), limit) + "-"


def security_group_name_prefix(settings: EnvironmentSettings, component: str) -> str:
    """A security group `name_prefix` (names are unique per VPC, at most 255, never `sg-...`)."""
    prefix = name_prefix(settings, component, SECURITY_GROUP_NAME_MAX)
    if prefix.lower().startswith("sg-"):
        raise ValueError(
            f"security group name prefix {prefix!r} must not start with 'sg-'; rename the app"
        )
    return prefix


def load_balancer_name(settings: EnvironmentSettings, component: str) -> str:
    """The logical name of an ALB or target group, which Pulumi auto-names from.

    `<name>-<7 random>` must be at most 32 of `[a-z0-9-]` (a `name_prefix` may only have 6
    characters, too few to say what the balancer is); no leading/trailing `-`, no `internal-`.
    """
    name = _fit(logical_name(settings, component), LOAD_BALANCER_NAME_MAX - AUTONAME_SUFFIX_LENGTH)
    if name.startswith("internal-"):
        raise ValueError(f"load balancer name {name!r} must not start with 'internal-'")
    return name


def log_group_prefix(settings: EnvironmentSettings) -> str:
    """`/<app>/<env>/`: every CloudWatch log group of the environment is named under it.

    The key policy lets CloudWatch Logs use the environment's key for exactly these groups.
    """
    return f"/{_slug(settings.app)}/{settings.environment}/"


def log_group_name(settings: EnvironmentSettings, component: str) -> str:
    """`/<app>/<env>/<component>`: a log group name (unique per account and region)."""
    return log_group_prefix(settings) + _slug(component)


def _slug(text: str) -> str:
    """Lowercase letters, digits and single hyphens, for logical names."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]", "-", text.lower())).strip("-")


def _fit(name: str, limit: int) -> str:
    """`name` itself if it fits; else a cut of it plus a hash of all of it (still unique)."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH_LENGTH]
    head = name[: limit - _HASH_LENGTH - 1].rstrip("-_.")
    return f"{head}-{digest}"
