"""Encryption at rest for types without a rule of their own: KMS key inputs read from
pulumi-aws, the security stack's key demanded (mandatory in production, advisory elsewhere)."""

from __future__ import annotations

from typing import Any

import pytest

from program.policy import Enforcement, StackView, evaluate
from program.policy.encryption import SPECIFIC_RULES, KeyInput, key_inputs
from program.policy.registry import RULES
from shared import aws_types as t
from shared.settings import EnvironmentSettings
from tests.policy.baseline_parts import KEY_ARN, OTHER_KEY_ARN
from tests.policy.baseline_stack import compliant_stack
from tests.policy.encryption_breaks import ADVISORY, MANDATORY, QUEUE, TOPIC, added

TABLE = "aws:dynamodb/table:Table"
ENCRYPTION = (MANDATORY, ADVISORY)


@pytest.mark.parametrize(
    ("type_", "expected"),
    [
        (QUEUE, (KeyInput(("kmsMasterKeyId",), "kms_master_key_id"),)),
        (TOPIC, (KeyInput(("kmsMasterKeyId",), "kms_master_key_id"),)),
        (
            TABLE,
            (
                KeyInput(
                    ("serverSideEncryption", "kmsKeyArn"), "server_side_encryption.kms_key_arn"
                ),
            ),
        ),
        (t.LOG_GROUP, (KeyInput(("kmsKeyId",), "kms_key_id"),)),
        ("aws:ebs/volume:Volume", (KeyInput(("kmsKeyId",), "kms_key_id"),)),
        # A module named by a Python keyword: pulumi_aws.lambda_.
        ("aws:lambda/function:Function", (KeyInput(("kmsKeyArn",), "kms_key_arn"),)),
        (t.KMS_ALIAS, ()),
        (t.VPC, ()),
        ("aws:nosuchmodule/thing:Thing", ()),
        ("webapp:compute:Network", ()),
        (t.AWS_PROVIDER, ()),
    ],
)
def test_key_inputs_are_read_from_pulumi_aws(type_: str, expected: tuple[KeyInput, ...]) -> None:
    assert key_inputs(type_) == expected


def _findings(settings: EnvironmentSettings, type_: str, props: dict[str, Any]) -> list[Any]:
    env = settings.environment
    stack = added(compliant_stack(settings), env, type_, f"webapp-{env}-new", props)
    return [v for v in evaluate(StackView(settings, stack)) if v.rule in ENCRYPTION]


def _expected_rule(settings: EnvironmentSettings) -> tuple[str, Enforcement]:
    if settings.production:
        return MANDATORY, Enforcement.MANDATORY
    return ADVISORY, Enforcement.ADVISORY


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        pytest.param(QUEUE, {"kmsMasterKeyId": KEY_ARN}, id="queue"),
        pytest.param(TOPIC, {"kmsMasterKeyId": KEY_ARN}, id="topic"),
        pytest.param(
            TABLE,
            {"serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY_ARN}},
            id="table",
        ),
        pytest.param("aws:kms/alias:Alias", {"targetKeyId": OTHER_KEY_ARN}, id="no-key-input"),
    ],
)
def test_the_security_stacks_key_passes(
    settings: EnvironmentSettings, type_: str, props: dict[str, Any]
) -> None:
    assert _findings(settings, type_, props) == []


@pytest.mark.parametrize(
    ("type_", "props", "problem"),
    [
        pytest.param(QUEUE, {}, "kms_master_key_id names no KMS key", id="queue-no-key"),
        pytest.param(
            QUEUE,
            {"kmsMasterKeyId": OTHER_KEY_ARN},
            f"kms_master_key_id uses {OTHER_KEY_ARN!r}, not the security stack's key",
            id="queue-other-key",
        ),
        pytest.param(
            QUEUE,
            {"kmsMasterKeyId": "alias/aws/sqs"},
            "AWS-managed key 'alias/aws/sqs'",
            id="queue-aws-managed",
        ),
        pytest.param(
            TABLE,
            {"serverSideEncryption": {"enabled": True}},
            "server_side_encryption.kms_key_arn names no KMS key",
            id="table-aws-managed",
        ),
        pytest.param(
            TABLE, {}, "server_side_encryption.kms_key_arn names no KMS key", id="table-no-sse"
        ),
    ],
)
def test_a_missing_or_foreign_key_is_reported_at_the_environments_level(
    settings: EnvironmentSettings, type_: str, props: dict[str, Any], problem: str
) -> None:
    (finding,) = _findings(settings, type_, props)
    rule, enforcement = _expected_rule(settings)
    assert finding.rule == rule
    assert finding.enforcement is enforcement
    assert problem in finding.message


def test_a_list_of_encryption_blocks_is_judged_block_by_block(
    settings: EnvironmentSettings,
) -> None:
    repository = "aws:ecr/repository:Repository"
    good = {"encryptionType": "KMS", "kmsKey": KEY_ARN}
    assert _findings(settings, repository, {"encryptionConfigurations": [good]}) == []
    found = _findings(settings, repository, {"encryptionConfigurations": [good, {}]})
    assert len(found) == 1


def test_types_with_a_specific_rule_are_left_to_it(settings: EnvironmentSettings) -> None:
    # A log group without a key: its own rule reports it, the generic one does not.
    env = settings.environment
    stack = added(compliant_stack(settings), env, t.LOG_GROUP, "lg", {"retentionInDays": 365.0})
    rules = {v.rule for v in evaluate(StackView(settings, stack))}
    assert rules == {"cloudwatch-log-group-encrypted"}


def test_every_specific_rule_named_exists_and_judges_encryption() -> None:
    by_id = {rule.id: rule for rule in RULES}
    for type_, rule_id in SPECIFIC_RULES.items():
        assert rule_id in by_id, (type_, rule_id)
        assert by_id[rule_id].resource_types, rule_id
