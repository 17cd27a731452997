"""Bucket-policy statements that both the programs and `invoke bootstrap` write.

Pure data (no Pulumi, no boto3), so the application buckets (`program/components`) and the state
bucket (`orchestration/state/bootstrap/apply.py`) deny plain HTTP with the very same statement.
"""

from __future__ import annotations

from typing import Any


def tls_only_statement(bucket_arn: str) -> dict[str, Any]:
    """Deny every request to the bucket and its objects made without TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
