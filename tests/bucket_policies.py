"""The TLS-only bucket policy the baseline requires, written once for every test suite.

The expected shape is typed out here, independently of `program.components.encrypted_bucket`,
so a test that compares the program's policy with it still catches a change in the program.
Test modules import it; tests can also ask for the `tls_only_statement` fixture.
"""

from __future__ import annotations

import json
from typing import Any


def tls_only_statement(bucket: str, partition: str = "aws") -> dict[str, Any]:
    """The statement denying every request to `bucket` (and its objects) made without TLS."""
    arn = f"arn:{partition}:s3:::{bucket}"
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def tls_only_policy(bucket: str) -> str:
    """A bucket policy (JSON text) holding only the TLS-only statement."""
    return json.dumps({"Version": "2012-10-17", "Statement": [tls_only_statement(bucket)]})
