"""What KMS says of the key a stack's state records (`orchestration.state.aws.key_status`),
asked of the session's moto server through the orchestrator's own clients (as `--endpoint`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from orchestration.state.aws import KeyUnreadable, key_status
from tests.moto_server import reset

REGION = "us-west-2"
# Nothing listens on the discard port of the loopback interface.
DEAD_ENDPOINT = "http://127.0.0.1:9"


@pytest.fixture
def endpoint(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """moto's server, empty, with the emulator's dummy keys (never real credentials)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    reset(moto_url)
    return moto_url


@pytest.fixture
def kms(endpoint: str) -> Any:
    """The operator's KMS client, in the account the orchestrator's clients see."""
    return boto3.client(
        "kms",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_a_live_key_reads_as_its_state(kms: Any, endpoint: str) -> None:
    arn = kms.create_key()["KeyMetadata"]["Arn"]

    status = key_status(arn, REGION, endpoint)

    assert status.state == "Enabled"
    assert status.deletion_date is None


def test_a_key_pending_deletion_reads_with_the_day_it_goes(kms: Any, endpoint: str) -> None:
    key = kms.create_key()["KeyMetadata"]
    arn = key["Arn"]
    # moto schedules by key id only (AWS takes either).
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)

    status = key_status(arn, REGION, endpoint)

    assert status.state == "PendingDeletion"
    assert status.deletion_date is not None
    soon = datetime.now(UTC) + timedelta(days=7)
    assert abs(status.deletion_date - soon) < timedelta(hours=1)


def test_a_key_kms_does_not_know_reads_as_gone(kms: Any, endpoint: str) -> None:
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    unknown = arn.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000"

    status = key_status(unknown, REGION, endpoint)

    assert status.state is None


def test_kms_out_of_reach_is_one_line_saying_so() -> None:
    arn = f"arn:aws:kms:{REGION}:123456789012:key/00000000-0000-4000-8000-000000000000"

    with pytest.raises(KeyUnreadable) as raised:
        key_status(arn, REGION, DEAD_ENDPOINT)

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"KMS DescribeKey of {arn} failed: ")
