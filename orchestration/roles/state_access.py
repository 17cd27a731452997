"""A team's access to the environment's Pulumi state: its own stack's prefixes, and the key.

Pulumi's DIY backend keeps, under `<bucket>/<prefix>/.pulumi/`: `meta.yaml` (the layout),
`stacks/<project>/<stack>.json` (the checkpoints), `history/<project>/...`,
`backups/<project>/...` and `locks/<organization>/<project>/<stack>/...`. A team reads every
checkpoint (its StackReferences read its producers' outputs, the destroy guard its consumers'),
and writes, versions and locks only its own project's; it reads the journal an unfinished
`invoke state migrate` leaves in `.pulumi-migration/`. The secrets key (and the bucket's
SSE-KMS, which S3 uses with the caller's permissions) is the one bootstrap tagged as the
environment's state component; a key the environment names by ARN or id, by that.
"""

from __future__ import annotations

from orchestration.plan.placeholders import PLACEHOLDER_ACCOUNT_ID
from orchestration.roles.grants import SCOPING_TAGS, Condition, Grant
from orchestration.state.declaration import (
    BackendKind,
    SecretsKind,
    declared_state,
    kms_location,
    s3_location,
)
from shared.naming import STATE_COMPONENT, state_bucket_name, state_key_alias, tags
from shared.references import DIY_ORGANIZATION
from shared.settings import EnvironmentSettings

READ_BUCKET = ("s3:ListBucket", "s3:ListBucketVersions")
READ_OBJECTS = ("s3:GetObject", "s3:GetObjectVersion")
WRITE_OBJECTS = ("s3:PutObject", "s3:DeleteObject")
USE_KEY = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")


def state_grants(
    settings: EnvironmentSettings, project: str, *, partition: str, account: str
) -> list[Grant]:
    """The grants on the declared state bucket and secrets key (none for a local backend)."""
    declaration = declared_state(settings)
    grants: list[Grant] = []
    bucket: str | None = None
    prefix = ""
    if declaration.backend is BackendKind.S3_DERIVED:
        # The name holds the account: made for a stand-in account, then given the real one.
        bucket = state_bucket_name(settings, PLACEHOLDER_ACCOUNT_ID).replace(
            PLACEHOLDER_ACCOUNT_ID, account
        )
    elif declaration.backend is BackendKind.S3_URL and declaration.backend_url:
        location = s3_location(declaration.backend_url)
        bucket, prefix = location.bucket, location.prefix
    if bucket is not None:
        bucket_arn = f"arn:{partition}:s3:::{bucket}"
        root = f"{bucket_arn}/{prefix}/.pulumi" if prefix else f"{bucket_arn}/.pulumi"
        grants += [Grant(action, bucket_arn) for action in READ_BUCKET]
        # The journal of an unfinished `state migrate` beside `.pulumi/`: every run looks.
        journal = f"{root.removesuffix('/.pulumi')}/.pulumi-migration/*"
        readable = (f"{root}/meta.yaml", f"{root}/stacks/*", f"{root}/locks/*", journal)
        own = (
            f"{root}/stacks/{project}/*",
            f"{root}/history/{project}/*",
            f"{root}/backups/{project}/*",
            f"{root}/locks/{DIY_ORGANIZATION}/{project}/*",
        )
        grants += [Grant(action, path) for action in READ_OBJECTS for path in readable + own]
        grants += [Grant(action, path) for action in WRITE_OBJECTS for path in own]
    grants += _key_grants(settings, partition=partition, account=account)
    return grants


def _key_grants(settings: EnvironmentSettings, *, partition: str, account: str) -> list[Grant]:
    declaration = declared_state(settings)
    region = settings.region
    alias: str | None = None
    if declaration.secrets is SecretsKind.KMS_DERIVED:
        alias = state_key_alias(settings)
    elif declaration.secrets is SecretsKind.KMS_URL and declaration.secrets_url:
        location = kms_location(declaration.secrets_url)
        region = location.region or region
        if location.alias is None:
            key = location.key
            if not key.startswith("arn:"):
                key = f"arn:{partition}:kms:{region}:{account}:key/{key}"
            return [Grant(action, key) for action in USE_KEY]
        alias = location.alias
    if alias is None:
        return []
    # A key is authorized by its ARN, which only exists once bootstrap made it; bootstrap tags
    # it as the environment's state component (`kms:ResourceAliases` would say it by alias,
    # but the linter does not know that key for these actions).
    state_tags = tags(settings, STATE_COMPONENT)
    condition: Condition = tuple(
        ("StringEquals", f"aws:ResourceTag/{key}", (state_tags[key],)) for key in SCOPING_TAGS
    )
    key_arns = f"arn:{partition}:kms:{region}:{account}:key/*"
    return [Grant(action, key_arns, condition) for action in USE_KEY]
