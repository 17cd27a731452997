"""The TLS policy HTTPS listeners use is what `shared/limits.py` says it is.

Judged against AWS's cipher table as moto serves it (DescribeSSLPolicies; moto copies AWS's
"Security policies for your Application Load Balancer" page), not against our own list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.limits import CURRENT_TLS_POLICY_PREFIXES, TLS_POLICY

REGION = "us-west-2"


@pytest.fixture
def policy(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """TLS_POLICY as DescribeSSLPolicies describes it (moto's AWS, dummy credentials)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        elbv2 = boto3.client("elbv2", region_name=REGION)
        (found,) = elbv2.describe_ssl_policies(Names=[TLS_POLICY])["SslPolicies"]
        yield found


def test_the_policy_allows_tls_1_3_and_1_2_only(policy: dict[str, Any]) -> None:
    assert set(policy["SslProtocols"]) == {"TLSv1.3", "TLSv1.2"}
    assert TLS_POLICY.startswith(CURRENT_TLS_POLICY_PREFIXES)


def test_every_cipher_has_forward_secrecy_and_authenticated_encryption(
    policy: dict[str, Any],
) -> None:
    # AWS: TLS 1.3's suites (TLS_*) and ECDHE key exchange give forward secrecy; a TLS 1.2
    # suite without ECDHE (AES128-GCM-SHA256, ...) does not. GCM (and TLS 1.3's suites) are
    # AEAD; the CBC suites (ECDHE-RSA-AES128-SHA256, ...) that TLS13-1-2-2021-06 keeps are not.
    ciphers = [cipher["Name"] for cipher in policy["Ciphers"]]
    assert ciphers
    for name in ciphers:
        assert name.startswith(("TLS_", "ECDHE-")), name
        assert name.startswith("TLS_") or "-GCM-" in name, name
