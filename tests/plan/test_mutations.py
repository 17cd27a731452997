"""Regressions the plan must refuse: each mutation makes `plan` exit non-zero naming the rule.

Mutations go through the real programs: a resource class the component uses is replaced by a
test double that registers nothing (as if someone deleted the call), or the environment's
settings are overridden through the settings seam the programs read.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from orchestration.plan import cli
from orchestration.plan.cli import run_plan
from orchestration.plan.environment import PlanError
from shared import aws_types as t
from shared.settings import COMMON_FILE, EnvironmentSettings, load_settings


class ForgottenResource:
    """Test double for a resource class: the program calls it, nothing gets registered."""

    calls = 0

    def __init__(self, *_: Any, **__: Any) -> None:
        type(self).calls += 1


def _plan(environment: str, **kwargs: Any) -> tuple[int, str]:
    out = io.StringIO()
    code = run_plan(environment, out=out, **kwargs)
    return code, out.getvalue()


def test_bucket_without_encryption_fails_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    ForgottenResource.calls = 0
    monkeypatch.setattr(aws.s3, "BucketServerSideEncryptionConfiguration", ForgottenResource)

    code, output = _plan("development", project="storage")

    assert ForgottenResource.calls == 1
    assert code == 1
    assert f"[s3-bucket-encryption-customer-key] webapp-development-data ({t.BUCKET})" in output
    assert "Plan refused: 1 mandatory finding of s3-bucket-encryption-customer-key" in output


def test_json_plan_lists_the_violation(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(aws.s3, "BucketOwnershipControls", ForgottenResource)
    path = tmp_path / "plan.json"

    code, _ = _plan("production", project="storage", json_path=str(path), quiet=True)

    violations = json.loads(path.read_text())["violations"]
    assert code == 1
    assert {v["rule"] for v in violations} == {"s3-bucket-owner-enforced"}
    assert {v["enforcement"] for v in violations} == {"mandatory"}
    # Both production buckets lost their ownership controls.
    assert sorted(v["resource"].rsplit("::", 1)[-1] for v in violations) == [
        "webapp-production-data",
        "webapp-production-logs",
    ]


def test_advisory_violations_are_shown_but_do_not_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aws.s3, "BucketLifecycleConfiguration", ForgottenResource)

    code, output = _plan("development", project="storage")

    assert code == 0
    assert "advisory   [s3-bucket-lifecycle] webapp-development-data" in output


def test_production_bucket_without_access_logs_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aws.s3, "BucketLogging", ForgottenResource)

    code, output = _plan("production", project="storage")

    assert code == 1
    assert "[s3-bucket-access-logging] webapp-production-data" in output


def test_unprotected_production_key_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if `protect=` were dropped from the key component.
    real_key = aws.kms.Key

    def unprotected_key(name: str, *args: Any, opts: Any = None, **kwargs: Any) -> Any:
        unprotected = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=False))
        return real_key(name, *args, opts=unprotected, **kwargs)

    monkeypatch.setattr(aws.kms, "Key", unprotected_key)

    code, output = _plan("production", project="security")

    assert code == 1
    assert f"[production-protect-data] webapp-production-key ({t.KMS_KEY})" in output


def test_production_debug_is_refused_by_the_settings_loader(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "production.yaml").write_text(
        "production: true\nteam: ops\ndebug: true\nlog_level: warning\n"
    )
    monkeypatch.setattr(
        cli,
        "load_settings",
        lambda env: load_settings(env, common_file=COMMON_FILE, environments_dir=tmp_path),
    )

    with pytest.raises(PlanError) as caught:
        run_plan("production", out=io.StringIO())

    assert "production environment and must not run with debug: true" in str(caught.value)
    assert "set debug: false" in str(caught.value)


def test_a_failing_program_is_a_plan_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise ValueError("deliberately broken for the test")

    monkeypatch.setattr(aws.kms, "Key", broken)

    with pytest.raises(PlanError) as caught:
        run_plan("development", project="security", out=io.StringIO())

    message = str(caught.value)
    assert message.startswith("cannot plan security:")
    assert "ValueError: deliberately broken for the test" in message


def test_instance_without_imdsv2_fails_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    real_instance = aws.ec2.Instance

    def instance_allowing_imdsv1(name: str, *args: Any, **kwargs: Any) -> Any:
        kwargs["metadata_options"] = aws.ec2.InstanceMetadataOptionsArgs(http_tokens="optional")
        return real_instance(name, *args, **kwargs)

    monkeypatch.setattr(aws.ec2, "Instance", instance_allowing_imdsv1)

    code, output = _plan("development")

    assert code == 1
    assert "[ec2-imdsv2-required] webapp-development-web-us-west-2a-1" in output
    assert "Plan refused: 1 mandatory finding of ec2-imdsv2-required" in output


def test_launch_template_without_imdsv2_or_the_key_fails_the_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_template = aws.ec2.LaunchTemplate

    def template_allowing_imdsv1_on_aws_managed_key(name: str, *args: Any, **kwargs: Any) -> Any:
        kwargs["metadata_options"] = aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_tokens="optional"
        )
        (mapping,) = kwargs["block_device_mappings"]
        mapping.ebs.kms_key_id = "alias/aws/ebs"
        return real_template(name, *args, **kwargs)

    monkeypatch.setattr(aws.ec2, "LaunchTemplate", template_allowing_imdsv1_on_aws_managed_key)

    code, output = _plan("production", project="compute")

    assert code == 1
    template = f"webapp-production-web ({t.LAUNCH_TEMPLATE})"
    assert f"[ec2-imdsv2-required] {template}" in output
    assert f"[ec2-root-volume-customer-key] {template}" in output


def test_ssh_ingress_fails_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    real_rule = aws.vpc.SecurityGroupIngressRule

    def ssh_rule(name: str, *args: Any, **kwargs: Any) -> Any:
        return real_rule(name, *args, **{**kwargs, "from_port": 22, "to_port": 22})

    monkeypatch.setattr(aws.vpc, "SecurityGroupIngressRule", ssh_rule)

    code, output = _plan("development")

    assert code == 1
    assert "[ec2-no-ssh-rdp-ingress] webapp-development-web-in-80-0-0-0-0-0" in output
    # Port 22 from 0.0.0.0/0 is also not a web port.
    assert "[ec2-public-ingress-web-only] webapp-development-web-in-80-0-0-0-0-0" in output


def test_production_with_debug_fails_through_the_rendered_user_data(
    production: EnvironmentSettings,
) -> None:
    # Past the settings loader (which refuses this), through the seam the programs read.
    forced = dataclasses.replace(production, debug=True)

    code, output = _plan("production", settings=forced)

    assert code == 1
    assert f"[production-debug-off] webapp-production-web ({t.LAUNCH_TEMPLATE})" in output
    assert "user data sets DEBUG=true in production" in output
