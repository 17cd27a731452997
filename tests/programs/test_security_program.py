"""The security project: a rotating customer key whose policy grants use only through services."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from orchestration.plan.evaluate import ProgramResult
from projects.security.config import SecurityConfig
from projects.security.config import read_config as security_config
from shared import aws_types as t
from shared import naming, topology
from shared.config_reading import ProjectConfigError
from shared.settings import EnvironmentSettings
from tests.programs.programs_support import ACCOUNT, REGION, as_list, document, only, statements

Evaluate = Callable[[str, str], ProgramResult]
KEY = t.KMS_KEY
ALIAS = t.KMS_ALIAS
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
AUTOSCALING_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/"
    "AWSServiceRoleForAutoScaling"
)
DATA_ACTIONS = {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}
LOGS_SERVICE = f"logs.{REGION}.amazonaws.com"


def test_symmetric_key_rotates_with_the_environments_deletion_window(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    key = only(evaluate(topology.SECURITY, environment), KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["keyUsage"] == "ENCRYPT_DECRYPT"
    assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert key.inputs["deletionWindowInDays"] == (30 if env_settings.production else 7)
    assert key.protect is env_settings.production


def test_key_policy_lets_the_account_administer_but_not_use_the_key_directly(
    environment: str, evaluate: Evaluate
) -> None:
    policy = document(only(evaluate(topology.SECURITY, environment), KEY))
    admin = [
        s for s in statements(policy) if "Condition" not in s and s["Principal"] == {"AWS": ROOT}
    ]
    assert len(admin) == 1
    actions = set(as_list(admin[0]["Action"]))
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"} <= actions
    assert not actions & DATA_ACTIONS
    # Named actions only: a wildcard such as kms:Create* would include kms:CreateGrant, and an
    # unconditioned grant could hand the key to anyone.
    assert not any("*" in action for action in actions)
    assert "kms:CreateGrant" not in actions


def test_key_use_is_only_through_its_services_in_this_account_and_region(
    environment: str, evaluate: Evaluate
) -> None:
    policy = document(only(evaluate(topology.SECURITY, environment), KEY))
    via = {}
    for statement in statements(policy):
        if not DATA_ACTIONS & set(as_list(statement["Action"])):
            continue
        if statement["Principal"] == {"AWS": AUTOSCALING_ROLE}:
            continue  # only AWS can assume it (next test)
        if statement["Principal"] == {"Service": LOGS_SERVICE}:
            continue  # CloudWatch Logs, for the environment's log groups (test below)
        # No other service principal: the access-log bucket is SSE-S3, so S3's log delivery
        # needs no key (a statement for it would only widen who may use the key).
        assert "Service" not in statement["Principal"]
        conditions = statement["Condition"]["StringEquals"]
        assert conditions["kms:CallerAccount"] == ACCOUNT
        via[conditions["kms:ViaService"]] = set(as_list(statement["Action"]))
    services = ("s3", "ec2", "logs")
    assert set(via) == {f"{service}.{REGION}.amazonaws.com" for service in services}
    grants = [s for s in statements(policy) if s["Action"] == "kms:CreateGrant"]
    assert grants
    assert all(g["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"} for g in grants)


def test_cloudwatch_logs_may_use_the_key_only_for_the_environments_log_groups(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    # The flow logs' log group is encrypted with the key: without this statement CloudWatch
    # Logs refuses the group (AccessDeniedException); with a looser one it could encrypt any
    # account's group with it.
    policy = document(only(evaluate(topology.SECURITY, environment), KEY))
    (logs,) = [s for s in statements(policy) if s["Principal"] == {"Service": LOGS_SERVICE}]
    groups = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    prefix = naming.log_group_prefix(env_settings)
    assert groups == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{prefix}*"
    assert naming.log_group_name(env_settings, "vpc-flow-logs").startswith(prefix)
    assert f"/{env_settings.environment}/" in prefix
    assert "kms:CreateGrant" not in as_list(logs["Action"])


def test_account_principals_use_the_key_through_cloudwatch_logs_for_the_environments_groups(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    # CloudWatch Logs calls KMS on behalf of whoever creates or reads an encrypted log group
    # (kms:ViaService): without a statement for it the deployer's CreateLogGroup is refused
    # (kms:Encrypt denied). The encryption context keeps it to the environment's groups.
    policy = document(only(evaluate(topology.SECURITY, environment), KEY))
    (logs,) = [
        s
        for s in statements(policy)
        if s["Principal"] == {"AWS": ROOT}
        and s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService") == LOGS_SERVICE
    ]
    assert logs["Condition"]["StringEquals"]["kms:CallerAccount"] == ACCOUNT
    prefix = naming.log_group_prefix(env_settings)
    groups = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert groups == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{prefix}*"
    actions = set(as_list(logs["Action"]))
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"} <= actions
    assert "kms:CreateGrant" not in actions


def test_production_lets_the_auto_scaling_service_role_launch_encrypted_volumes(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    # Without these AWS-documented statements an Auto Scaling group whose launch template
    # encrypts with the key launches nothing (Client.InternalError on launch).
    policy = document(only(evaluate(topology.SECURITY, environment), KEY))
    mine = [s for s in statements(policy) if s["Principal"] == {"AWS": AUTOSCALING_ROLE}]
    if not env_settings.production:
        assert mine == []  # development's one instance is launched by the deployer
        return
    use, grant = mine
    assert set(as_list(use["Action"])) == DATA_ACTIONS | {"kms:DescribeKey"}
    assert "Condition" not in use
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_no_statement_opens_the_key_to_everyone(environment: str, evaluate: Evaluate) -> None:
    policy = document(only(evaluate(topology.SECURITY, environment), KEY))
    for statement in statements(policy):
        principal = statement["Principal"]
        assert principal != "*"
        assert "*" not in as_list(principal.get("AWS", []))


def test_alias_points_at_the_key_and_is_named_by_the_naming_module(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = evaluate(topology.SECURITY, environment)
    key, alias = only(result, KEY), only(result, ALIAS)
    assert alias.inputs["name"] == naming.kms_alias(env_settings, "data")
    assert alias.inputs["targetKeyId"] == key.outputs["keyId"]
    assert not alias.protect


def test_exports_are_the_keys_own_values(environment: str, evaluate: Evaluate) -> None:
    result = evaluate(topology.SECURITY, environment)
    key = only(result, KEY)
    assert result.outputs[topology.KMS_KEY_ARN] == key.outputs["arn"]
    assert result.outputs[topology.KMS_KEY_ID] == key.outputs["keyId"]
    assert result.outputs[topology.KMS_KEY_ARN].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")


def test_production_refuses_a_short_deletion_window(production: EnvironmentSettings) -> None:
    with pytest.raises(ProjectConfigError, match=r"keyDeletionWindowDays is 7.*need 30"):
        security_config(production, {"keyDeletionWindowDays": "7"}.get)


@pytest.mark.parametrize("days", ["6", "31", "seven"])
def test_deletion_window_outside_what_kms_allows_is_refused(
    development: EnvironmentSettings, days: str
) -> None:
    with pytest.raises(ProjectConfigError, match=r"security:keyDeletionWindowDays"):
        security_config(development, {"keyDeletionWindowDays": days}.get)


def test_the_default_window_is_the_safe_one(development: EnvironmentSettings) -> None:
    assert security_config(development, {}.get) == SecurityConfig(key_deletion_window_days=30)
