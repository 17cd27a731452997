"""What the orchestrator knows about AWS resource types, declared once.

- `STATEFUL_TYPES`: the types that hold data or keys. A deploy that would delete or replace one
  is refused unless the user says so (`--allow-delete`): deleting a key makes everything it
  encrypted unreadable, deleting a bucket loses its objects. They are the types the
  `production-protect-data` rule protects in production (a test holds the two together).
- `import_id`: the id `pulumi import` takes for a resource whose id AWS does not choose (a
  bucket is its name, a role its name ...), computed from the inputs of a create an interrupted
  update left pending. With it the provider can read whether the create happened; the ids of
  the other types (a key's UUID, an instance's `i-...`) exist only once AWS answered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

KMS_KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
STATEFUL_TYPES = frozenset({KMS_KEY, BUCKET})

# The bucket's own configuration resources: imported by the bucket's name.
_BY_BUCKET = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLogging:BucketLogging",
)


def _field(name: str) -> Callable[[Mapping[str, Any]], str | None]:
    def read(inputs: Mapping[str, Any]) -> str | None:
        return _text(inputs.get(name))

    return read


def _role_policy(inputs: Mapping[str, Any]) -> str | None:
    role, name = _text(inputs.get("role")), _text(inputs.get("name"))
    return f"{role}:{name}" if role and name else None


# type token -> the import id from the resource's inputs (pulumi-aws's documented import ids).
_IMPORT_IDS: Mapping[str, Callable[[Mapping[str, Any]], str | None]] = {
    BUCKET: _field("bucket"),
    **dict.fromkeys(_BY_BUCKET, _field("bucket")),
    "aws:kms/alias:Alias": _field("name"),
    "aws:iam/role:Role": _field("name"),
    "aws:iam/instanceProfile:InstanceProfile": _field("name"),
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
}


def import_id(type_: str, inputs: Mapping[str, Any]) -> str | None:
    """The id to import a resource of `type_` by, from its inputs; None when AWS picks it."""
    derive = _IMPORT_IDS.get(type_)
    return derive(inputs) if derive is not None else None


def _text(value: Any) -> str | None:
    # A secret input is an encrypted envelope in the state, not text: no id from it.
    return value if isinstance(value, str) and value else None
