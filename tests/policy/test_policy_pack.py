"""The CrossGuard pack: every rule exposed, and pulumi_policy's arguments adapted faithfully."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pulumi_policy
import pytest
import yaml
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from orchestration.plan.cli import make_plan
from program.policy import RULES, UNKNOWN, Scope, StackView, evaluate
from program.policy.crossguard import PACK_NAME, plain, policies, stack_of
from shared import aws_types as t
from shared.settings import EnvironmentSettings, SettingsError
from tests.policy.baseline_parts import KEY_ARN
from tests.policy.baseline_stack import change, change_resource, compliant_stack
from tests.policy.pack_args import run_pack

PACK_DIR = Path(__file__).resolve().parents[2] / "policy-pack"


def test_pack_exposes_every_rule_at_its_level() -> None:
    built = {policy.name: policy for policy in policies()}

    assert list(built) == [rule.id for rule in RULES]
    for rule in RULES:
        policy = built[rule.id]
        assert policy.description == rule.description
        assert policy.remediation_steps == rule.fix
        assert policy.enforcement_level.value == rule.enforcement.value
        expected = (
            ResourceValidationPolicy if rule.scope is Scope.RESOURCE else StackValidationPolicy
        )
        assert isinstance(policy, expected)


def test_pack_main_builds_the_pack_from_every_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict[str, Any] = {}

    class RecordingPolicyPack:
        """Test double: the real PolicyPack starts a gRPC server and blocks forever."""

        def __init__(self, name: str, policies: list[Any], **_: Any) -> None:
            built.update(name=name, policies=[policy.name for policy in policies])

    monkeypatch.setattr(pulumi_policy, "PolicyPack", RecordingPolicyPack)
    runpy.run_path(str(PACK_DIR / "__main__.py"), run_name="__main__")

    assert built == {"name": PACK_NAME, "policies": [rule.id for rule in RULES]}


def test_pack_runs_in_the_repo_virtualenv() -> None:
    manifest = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())

    assert manifest["runtime"]["name"] == "python"
    venv = PACK_DIR / manifest["runtime"]["options"]["virtualenv"]
    assert (venv / "bin" / "python").exists()
    assert manifest["version"]


def test_pack_passes_the_compliant_environment(settings: EnvironmentSettings) -> None:
    assert run_pack(compliant_stack(settings)) == []


def test_pack_reports_what_the_offline_rules_report(production: EnvironmentSettings) -> None:
    env = production.environment
    stack = change(compliant_stack(production), f"webapp-{env}-web-a", userData="DEBUG=1")
    stack = change(stack, f"webapp-{env}-data-encryption", rules=[{"bucketKeyEnabled": True}])
    stack = change_resource(stack, f"webapp-{env}-key", protect=False)

    offline = evaluate(StackView(production, stack))
    reported = run_pack(stack)

    assert sorted((v.rule, v.message, v.resource) for v in offline) == sorted(reported)
    assert {name for name, _, _ in reported} == {
        "production-debug-off",
        "s3-bucket-encryption-customer-key",
        "production-protect-data",
    }


def test_stack_policy_finds_the_security_key_in_the_stack_reference(
    development: EnvironmentSettings,
) -> None:
    stack = compliant_stack(development)
    env = development.environment
    wrong = change(
        stack,
        f"webapp-{env}-web-a",
        rootBlockDevice={"encrypted": True, "kmsKeyId": KEY_ARN.replace("1234abcd", "ffffffff")},
    )

    assert [name for name, _, _ in run_pack(wrong)] == ["ec2-root-volume-customer-key"]


def test_unknown_environment_is_reported_not_crashed(development: EnvironmentSettings) -> None:
    def refuse(environment: str) -> EnvironmentSettings:
        raise SettingsError(f"unknown environment {environment!r}")

    reported = run_pack(compliant_stack(development), load=refuse)

    assert reported
    assert all("cannot check stack 'development'" in message for _, message, _ in reported)


def test_adapter_unwraps_proxies_and_marks_unknowns() -> None:
    proxied = unknown_checking_proxy(
        {"a": [{"b": UNKNOWN_STRING_VALUE}, "x"], "c": {"d": 1}, "e": UNKNOWN_STRING_VALUE}
    )

    with pytest.raises(pulumi_policy.proxy.UnknownValueError):
        _ = proxied["e"]
    assert plain(proxied) == {"a": [{"b": UNKNOWN}, "x"], "c": {"d": 1}, "e": UNKNOWN}
    assert plain(pulumi_policy.Secret("s3cr3t")) == "s3cr3t"
    assert plain(MappingProxyType({"a": (1, MappingProxyType({"b": 2}))})) == {"a": [1, {"b": 2}]}


def test_unknown_key_in_a_preview_is_not_a_violation(development: EnvironmentSettings) -> None:
    env = development.environment
    stack = change(
        compliant_stack(development),
        f"webapp-{env}-web-a",
        rootBlockDevice={"encrypted": True, "kmsKeyId": UNKNOWN_STRING_VALUE},
    )

    assert run_pack(stack) == []


def test_stack_of_reads_the_stack_from_a_urn() -> None:
    assert stack_of("urn:pulumi:production::storage::aws:s3/bucket:Bucket::b") == "production"
    with pytest.raises(ValueError, match="not a Pulumi URN"):
        stack_of("production")


def test_levels_map_to_pulumi_policy() -> None:
    levels = {policy.enforcement_level for policy in policies()}
    assert levels == {EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY}


@pytest.mark.parametrize("environment", ["development", "production"])
def test_pack_passes_the_real_planned_stacks(environment: str) -> None:
    """What the engine would hand the pack for each stack the real programs register."""
    for stack in make_plan(environment).stacks:
        reported = run_pack(stack.resources)
        if environment == "production" and stack.project == "compute":
            # The shipped configuration has no certificate: production's HTTP listener is
            # the one (advisory) finding, and it names the setting to add.
            [(policy, message, urn)] = reported
            assert policy == "elb-https-only"
            assert "set compute:certificateArn" in message
            assert urn is not None
            assert urn.endswith(f"{t.LISTENER}::webapp-production-web-lb-http")
        else:
            assert reported == [], stack.stack


def test_pack_catches_a_real_program_regression(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi_aws as aws  # noqa: PLC0415

    real_key = aws.kms.Key

    def key_with_short_window(name: str, *args: Any, **kwargs: Any) -> Any:
        return real_key(name, *args, **{**kwargs, "deletion_window_in_days": 20})

    monkeypatch.setattr(aws.kms, "Key", key_with_short_window)
    (security,) = make_plan("production", project="security").stacks

    reported = run_pack(security.resources)

    assert [name for name, _, _ in reported] == ["kms-key-deletion-window"]
    assert reported[0][2] == next(r.urn for r in security.resources if r.type == t.KMS_KEY)


def test_pack_catches_an_unencrypted_flow_log_group_in_the_real_program(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pulumi_aws as aws  # noqa: PLC0415

    real_group = aws.cloudwatch.LogGroup

    def group_without_key(resource_name: str, *args: Any, **kwargs: Any) -> Any:
        # (`name` is the log group's own name, an argument of LogGroup.)
        return real_group(resource_name, *args, **{**kwargs, "kms_key_id": None})

    monkeypatch.setattr(aws.cloudwatch, "LogGroup", group_without_key)
    (compute,) = [
        s for s in make_plan("development", project="compute").stacks if s.project == "compute"
    ]

    reported = run_pack(compute.resources)

    assert [name for name, _, _ in reported] == ["cloudwatch-log-group-encrypted"]
    assert "names no KMS key" in reported[0][1]
