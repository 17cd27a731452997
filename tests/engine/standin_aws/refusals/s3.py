"""TEST-ONLY stand-in: what S3 refuses and the emulator accepts."""

from __future__ import annotations

import re

from tests.engine.standin_aws.errors import AwsError

# S3 User Guide, "General purpose bucket naming rules": 3-63 characters of lowercase letters,
# digits, dots and hyphens, starting and ending with a letter or digit; no two adjacent dots;
# not an IPv4 address; reserved prefixes and suffixes. moto 5.2 checks only the length.
_ALLOWED = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_valid(name: str) -> None:
    """AwsError InvalidBucketName for a name general purpose buckets may not have."""
    if (
        _ALLOWED.match(name)
        and ".." not in name
        and not _IPV4.match(name)
        and not name.startswith(_RESERVED_PREFIXES)
        and not name.endswith(_RESERVED_SUFFIXES)
    ):
        return
    raise AwsError(
        f"creating S3 Bucket ({name})",
        "S3",
        "CreateBucket",
        "InvalidBucketName",
        "The specified bucket is not valid.",
    )
