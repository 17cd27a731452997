"""The stand-in's KMS and S3 kinds: resources live in the emulated account, read back from it."""

from __future__ import annotations

import json

import pytest

from shared import aws_types as t
from tests.engine.standin_client import Standin, serve_in_process


def test_a_key_is_made_in_the_account_and_gone_once_scheduled_for_deletion(aws: Standin) -> None:
    key_id, outputs = aws.made(
        t.KMS_KEY,
        "key",
        {"description": "data", "enableKeyRotation": True, "tags": {"Team": "security"}},
    )
    kms = aws.operator.client("kms")
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert outputs["arn"] == described["Arn"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert aws.read(t.KMS_KEY, "key", key_id).id == key_id
    aws.delete(t.KMS_KEY, "key", key_id, {"deletionWindowInDays": 7})
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert aws.read(t.KMS_KEY, "key", key_id).id == ""


def test_a_bucket_and_its_public_access_block_are_read_from_the_account(aws: Standin) -> None:
    name, outputs = aws.made(t.BUCKET, "data", {"bucket": f"data-{aws.operator.keys.account_id}"})
    assert outputs["arn"] == f"arn:aws:s3:::{name}"
    block = dict.fromkeys(
        ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
    )
    block_id, _ = aws.made(t.BUCKET_PUBLIC_ACCESS_BLOCK, "block", {"bucket": name, **block})
    assert aws.read(t.BUCKET_PUBLIC_ACCESS_BLOCK, "block", block_id).id == name
    # An operator removes the block behind Pulumi's back: the next read says it is gone.
    aws.operator.client("s3").delete_public_access_block(Bucket=name)
    assert aws.read(t.BUCKET_PUBLIC_ACCESS_BLOCK, "block", block_id).id == ""


def test_a_taken_bucket_name_is_refused_by_the_emulator(aws: Standin, moto_url: str) -> None:
    name = f"taken-{aws.operator.keys.account_id}"
    with serve_in_process(moto_url) as other:
        other.made(t.BUCKET, "theirs", {"bucket": name})
    with pytest.raises(Exception, match="BucketAlreadyExists"):
        aws.made(t.BUCKET, "ours", {"bucket": name})


def test_encryption_is_put_with_the_key(aws: Standin) -> None:
    _key_id, key = aws.made(t.KMS_KEY, "key", {"description": "data"})
    name, _ = aws.made(t.BUCKET, "data", {"bucket": f"enc-{aws.operator.keys.account_id}"})
    rule = {
        "applyServerSideEncryptionByDefault": {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": key["arn"],
        },
        "bucketKeyEnabled": True,
    }
    aws.made(t.BUCKET_ENCRYPTION, "enc", {"bucket": name, "rules": [rule]})
    config = aws.operator.client("s3").get_bucket_encryption(Bucket=name)
    by_default = config["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"
    ]
    assert by_default["KMSMasterKeyID"] == key["arn"]
    assert json.loads(key["policy"])["Statement"]


@pytest.mark.parametrize(
    "name",
    [
        "Bad_Name",
        "upper-Case-data",
        "two..dots",
        "192.168.5.4",
        "xn--data",
        "data-s3alias",
        "-lead",
    ],
)
def test_a_bucket_name_aws_refuses_is_refused(aws: Standin, name: str) -> None:
    """moto creates these; AWS answers InvalidBucketName (the lesson of the uppercase name)."""
    with pytest.raises(Exception, match="InvalidBucketName"):
        aws.made(t.BUCKET, "bad", {"bucket": name})
    listed = aws.operator.client("s3").list_buckets()["Buckets"]
    assert name not in [bucket["Name"] for bucket in listed]
