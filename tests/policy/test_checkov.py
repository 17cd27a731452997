"""Checkov's verdicts, from one run of the pinned Checkov over every plan file this needs.

- Our violating fixtures (breaks.py): where our rule fails, its Checkov counterparts
  (`Rule.references`) fail too, or the break is one Checkov's check is too narrow to see, and
  the test says so (and that Checkov indeed passes it).
- The translation: the shipped plans connect each bucket to its public access block, an
  instance to its profile, a security group to what uses it, a VPC to its flow log; without
  the block, Checkov fails.
- The shipped environments pass `invoke scan`'s judgement with the shipped suppressions.

Each case is a file of its own: Checkov caches some verdicts by file, type and name, so cases
sharing a file would share verdicts. Checkov starts in seconds, whatever the number of files.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from orchestration.plan.environment import EnvironmentPlan, StackPlan
from orchestration.scan.checkov import CheckResult, run_checkov
from orchestration.scan.cli import judge
from orchestration.scan.rule_map import checkov_ids
from orchestration.scan.suppressions import load_suppressions, stale
from orchestration.scan.translate import terraform_plan
from program.policy import RULES, rule_by_id
from shared import aws_types as t
from shared.settings import load_settings
from tests.policy.baseline_stack import compliant_stack
from tests.policy.breaks import BREAKS, Break

ENVIRONMENTS = ("development", "production")

# Breaks where Checkov agrees: the counterparts that must newly fail (a subset of the rule's).
AGREES: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("s3-bucket-encryption-customer-key", "no encryption configuration"): ("CKV_AWS_145",),
    ("s3-bucket-encryption-customer-key", "SSE-S3 instead of SSE-KMS"): ("CKV_AWS_145",),
    ("s3-bucket-public-access-block", "blockPublicAcls off"): ("CKV_AWS_53",),
    ("s3-bucket-public-access-block", "blockPublicPolicy off"): ("CKV_AWS_54",),
    ("s3-bucket-public-access-block", "ignorePublicAcls off"): ("CKV_AWS_55",),
    ("s3-bucket-public-access-block", "restrict_public_buckets off"): ("CKV_AWS_56",),
    ("s3-bucket-public-access-block", "no public access block"): ("CKV2_AWS_6",),
    ("s3-bucket-owner-enforced", "ACLs left on"): ("CKV2_AWS_65",),
    ("s3-bucket-versioning", "versioning suspended"): ("CKV_AWS_21",),
    ("s3-bucket-versioning", "no versioning resource"): ("CKV_AWS_21",),
    ("s3-bucket-lifecycle", "no lifecycle configuration"): ("CKV2_AWS_61",),
    ("s3-bucket-lifecycle", "a disabled rule"): ("CKV_AWS_300",),
    ("s3-bucket-access-logging", "no access logging in production"): ("CKV_AWS_18",),
    ("kms-key-rotation", "rotation off"): ("CKV_AWS_7",),
    ("ec2-imdsv2-required", "IMDSv1 allowed"): ("CKV_AWS_79",),
    ("ec2-imdsv2-required", "no metadata options"): ("CKV_AWS_79",),
    ("ec2-root-volume-customer-key", "unencrypted root volume"): ("CKV_AWS_8",),
    ("ec2-root-volume-customer-key", "no root block device"): ("CKV_AWS_8",),
    ("ec2-no-ssh-rdp-ingress", "SSH from anywhere"): ("CKV_AWS_24",),
    ("ec2-no-ssh-rdp-ingress", "RDP from anywhere"): ("CKV_AWS_25",),
    ("iam-no-wildcards", "Action '*'"): ("CKV_AWS_63",),
    ("iam-no-wildcards", "Resource '*'"): ("CKV_AWS_355",),
    ("kms-key-policy-least-privilege", "the key open to everyone"): ("CKV_AWS_33",),
    ("ec2-production-private", "a production instance with a public IP"): ("CKV_AWS_88",),
    ("ec2-production-private", "a production launch template whose interface takes a public IP"): (
        "CKV_AWS_88",
    ),
    ("vpc-flow-logs", "no flow log"): ("CKV2_AWS_11",),
    ("vpc-flow-logs", "the flow log records another VPC"): ("CKV2_AWS_11",),
    ("cloudwatch-log-group-encrypted", "no KMS key"): ("CKV_AWS_158",),
    ("cloudwatch-log-group-encrypted", "no retention (logs kept forever)"): ("CKV_AWS_66",),
    ("cloudwatch-log-group-encrypted", "30 days in production"): ("CKV_AWS_338",),
    ("elb-access-logs", "access logs disabled"): ("CKV_AWS_91",),
    ("elb-access-logs", "no access logs"): ("CKV_AWS_91",),
    ("elb-https-only", "production forwards plain HTTP (no certificate configured)"): (
        "CKV_AWS_2",
    ),
    ("elb-https-only", "an HTTPS listener on ELB's default policy (TLS 1.0)"): ("CKV_AWS_103",),
    **{
        (rule, what): checks
        for rule in ("encryption-at-rest-customer-key", "encryption-at-rest-customer-key-advisory")
        for what, checks in (
            ("an SQS queue without kmsMasterKeyId", ("CKV_AWS_27",)),
            ("an SNS topic without kmsMasterKeyId", ("CKV_AWS_26",)),
        )
    },
}

# Breaks our rule catches and Checkov's counterparts do not: why their checks are narrower.
NARROWER: Mapping[tuple[str, str], str] = {
    ("s3-bucket-encryption-customer-key", "the AWS-managed aws/s3 key"): (
        "CKV_AWS_145 asks for SSE-KMS, not for a customer-managed key"
    ),
    ("s3-bucket-encryption-customer-key", "a key other than the security stack's"): (
        "Checkov cannot know which key the security stack owns"
    ),
    ("s3-bucket-encryption-customer-key", "bucket key off"): "no Checkov check asks for it",
    ("ec2-imdsv2-required", "hop limit 2"): "CKV_AWS_79 reads http_tokens only",
    ("ec2-root-volume-customer-key", "encrypted with another key"): (
        "CKV_AWS_8 asks for encryption, not for the customer key"
    ),
    ("ec2-no-ssh-rdp-ingress", "SSH from a private range"): (
        "CKV_AWS_24 flags SSH from 0.0.0.0/0 only; we allow it from nowhere"
    ),
    ("ec2-no-ssh-rdp-ingress", "RDP inside a port range"): (
        "CKV_AWS_25 flags RDP from 0.0.0.0/0 only; we allow it from nowhere"
    ),
    ("iam-no-wildcards", "a whole service"): (
        "CKV_AWS_63 flags '*' only, not a service wildcard such as s3:*"
    ),
    (
        "s3-bucket-encryption-customer-key",
        "SSE-KMS on the log target bucket (no log would be delivered)",
    ): (
        "CKV_AWS_145 asks every bucket for SSE-KMS; it cannot know that S3 delivers access "
        "logs only into SSE-S3 buckets"
    ),
    (
        "kms-key-policy-least-privilege",
        "administrators may create grants for anything (kms:Create*)",
    ): ("CKV_AWS_33 looks for a '*' principal only, not at what a named principal may do"),
    ("kms-key-policy-least-privilege", "a principal may decrypt directly, not through a service"): (
        "CKV_AWS_33 looks for a '*' principal only, not for kms:ViaService"
    ),
    ("kms-key-policy-least-privilege", "no key policy: KMS's default lets IAM grant everything"): (
        "CKV_AWS_33 judges the policy a key has; without one there is nothing for it to read"
    ),
    ("ec2-production-private", "a production instance that lets the subnet decide"): (
        "CKV_AWS_88 flags an explicit public IP only; unset, the subnet's default decides"
    ),
    ("ec2-production-private", "a production launch template without network interfaces"): (
        "CKV_AWS_88 flags an explicit public IP only; unset, the subnet's default decides"
    ),
    ("vpc-flow-logs", "rejected traffic only"): (
        "CKV2_AWS_11 asks for a flow log, not for one of all traffic"
    ),
    ("cloudwatch-log-group-encrypted", "a key other than the security stack's"): (
        "Checkov cannot know which key the security stack owns"
    ),
    ("elb-access-logs", "access logs into a bucket other than the log bucket"): (
        "CKV_AWS_91 asks for access logs, and cannot know which bucket is the log bucket"
    ),
    **{
        (rule, what): why
        for rule in ("encryption-at-rest-customer-key", "encryption-at-rest-customer-key-advisory")
        for what, why in (
            (
                "an SQS queue encrypted with another key",
                "Checkov cannot know which key the security stack owns",
            ),
            (
                "an SQS queue on the AWS-managed alias/aws/sqs key",
                "CKV_AWS_27 asks for a key (any key), not for a customer-managed one",
            ),
        )
    },
}


def _stack_plan(
    environment: str, stack: Sequence[Any], project: str = "fixture"
) -> EnvironmentPlan:
    plan = StackPlan(project, f"organization/{project}/{environment}", tuple(stack), {})
    return EnvironmentPlan(environment, (plan,), ())


def _cases() -> Iterable[tuple[str, str, Break | None]]:
    """(environment, case name, break or None for the compliant fixture): the breaks of rules
    with Checkov counterparts (Checkov's time grows with the number of files)."""
    for env in ENVIRONMENTS:
        yield env, "compliant", None
        for number, brk in enumerate(BREAKS):
            if env in brk.environments and checkov_ids(rule_by_id(brk.rule)):
                yield env, f"break-{number}", brk


def _without_public_access_block(plan: EnvironmentPlan) -> EnvironmentPlan:
    def keep(resource: Any) -> bool:
        return not (
            resource.type == t.BUCKET_PUBLIC_ACCESS_BLOCK
            and resource.name.endswith("-data-public-access")
        )

    stacks = tuple(
        dataclasses.replace(stack, resources=tuple(filter(keep, stack.resources)))
        for stack in plan.stacks
    )
    return dataclasses.replace(plan, stacks=stacks)


class Verdicts:
    """Checkov's results per plan file, and the documents the files hold."""

    def __init__(self, results: Sequence[CheckResult], documents: Mapping[str, dict[str, Any]]):
        self.documents = documents
        self.by_file: dict[str, list[CheckResult]] = {name: [] for name in documents}
        for result in results:
            self.by_file[result.file.name].append(result)

    def failing(self, file: str, check: str) -> set[str]:
        return {r.address for r in self.by_file[file] if r.check_id == check and not r.passed}

    def verdict(self, file: str, check: str, address: str) -> bool | None:
        found = [
            r.passed for r in self.by_file[file] if r.check_id == check and r.address == address
        ]
        return found[0] if found else None


@pytest.fixture(scope="module")
def verdicts(
    checkov: Path,
    development_plan: EnvironmentPlan,
    production_plan: EnvironmentPlan,
    tmp_path_factory: pytest.TempPathFactory,
) -> Verdicts:
    documents: dict[str, dict[str, Any]] = {}
    for env, case, brk in _cases():
        settings = load_settings(env)
        stack = (
            compliant_stack(settings) if brk is None else brk.edit(compliant_stack(settings), env)
        )
        documents[f"{env}-{case}.tf.json"] = terraform_plan(_stack_plan(env, stack))
    for plan in (development_plan, production_plan):
        documents[f"{plan.environment}.tf.json"] = terraform_plan(plan)
        documents[f"{plan.environment}-without-public-access-block.tf.json"] = terraform_plan(
            _without_public_access_block(plan)
        )
    directory = tmp_path_factory.mktemp("plans")
    for name, document in documents.items():
        (directory / name).write_text(json.dumps(document), encoding="utf-8")
    return Verdicts(run_checkov(checkov, sorted(directory.iterdir())), documents)


def test_every_break_of_a_rule_with_checkov_counterparts_has_a_verdict() -> None:
    judged = {(brk.rule, brk.what) for brk in BREAKS if checkov_ids(rule_by_id(brk.rule))}

    assert set(AGREES) | set(NARROWER) == judged
    assert not set(AGREES) & set(NARROWER)
    for (rule, _), checks in AGREES.items():
        assert set(checks) <= set(checkov_ids(rule_by_id(rule))), rule


def test_every_rule_with_checkov_counterparts_is_agreed_with_at_least_once() -> None:
    agreed = {rule for rule, _ in AGREES}
    assert {rule.id for rule in RULES if checkov_ids(rule)} <= agreed


AGREEMENT = [
    pytest.param(env, f"{env}-{case}.tf.json", AGREES[(brk.rule, brk.what)], id=f"{brk.what}:{env}")
    for env, case, brk in _cases()
    if brk is not None and (brk.rule, brk.what) in AGREES
]


@pytest.mark.parametrize(("env", "file", "checks"), AGREEMENT)
def test_checkov_fails_where_our_rule_fails(
    verdicts: Verdicts, env: str, file: str, checks: tuple[str, ...]
) -> None:
    compliant = f"{env}-compliant.tf.json"
    for check in checks:
        assert verdicts.failing(file, check) - verdicts.failing(compliant, check), check


NARROW = [
    pytest.param(
        f"{env}-{case}.tf.json", f"{env}-compliant.tf.json", brk.rule, id=f"{brk.what}:{env}"
    )
    for env, case, brk in _cases()
    if brk is not None and (brk.rule, brk.what) in NARROWER
]


@pytest.mark.parametrize(("file", "compliant", "rule"), NARROW)
def test_where_checkov_is_narrower_it_really_passes(
    verdicts: Verdicts, file: str, compliant: str, rule: str
) -> None:
    # If a Checkov upgrade catches one of these, move it to AGREES.
    for check in checkov_ids(rule_by_id(rule)):
        assert verdicts.failing(file, check) <= verdicts.failing(compliant, check), check


def test_every_checkov_id_our_rules_cite_is_a_check_that_ran(verdicts: Verdicts) -> None:
    ran = {result.check_id for results in verdicts.by_file.values() for result in results}
    assert {check for rule in RULES for check in checkov_ids(rule)} <= ran


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_translation_connects_buckets_instances_security_groups_and_vpcs(
    verdicts: Verdicts, env: str
) -> None:
    file = f"{env}.tf.json"
    origins = verdicts.documents[file]["pulumi"]["resources"]

    def addresses(type_: str) -> list[str]:
        return [address for address, origin in origins.items() if origin["type"] == type_]

    for bucket in addresses(t.BUCKET):
        for check in ("CKV2_AWS_6", "CKV_AWS_145", "CKV_AWS_21", "CKV2_AWS_61"):
            # The access-log target is SSE-S3 on purpose (S3 delivers access logs into
            # nothing else): CKV_AWS_145 sees its encryption, and fails it (suppressed).
            expected = not (check == "CKV_AWS_145" and bucket.endswith("-logs"))
            assert verdicts.verdict(file, check, bucket) is expected, (check, bucket)
    for instance in addresses(t.INSTANCE):
        assert verdicts.verdict(file, "CKV2_AWS_41", instance) is True, instance
    # Production's web servers launch from a template: IMDSv2 (CKV_AWS_79) is read there.
    for template in addresses(t.LAUNCH_TEMPLATE):
        assert verdicts.verdict(file, "CKV_AWS_79", template) is True, template
    assert addresses(t.INSTANCE) or addresses(t.LAUNCH_TEMPLATE)
    for group in addresses(t.SECURITY_GROUP):
        assert verdicts.verdict(file, "CKV2_AWS_5", group) is True, group
    # Each VPC's flow log names it (vpc_id, a reference): Checkov's graph sees the connection.
    assert addresses(t.VPC)
    for vpc in addresses(t.VPC):
        assert verdicts.verdict(file, "CKV2_AWS_11", vpc) is True, vpc


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_a_bucket_without_a_public_access_block_fails_checkov(verdicts: Verdicts, env: str) -> None:
    data = f"module.storage.aws_s3_bucket.webapp-{env}-data"

    assert verdicts.verdict(f"{env}.tf.json", "CKV2_AWS_6", data) is True
    assert (
        verdicts.verdict(f"{env}-without-public-access-block.tf.json", "CKV2_AWS_6", data) is False
    )


def test_the_shipped_environments_pass_the_scan_with_every_suppression_used(
    verdicts: Verdicts,
) -> None:
    suppressions = load_suppressions()
    scans = [
        judge(
            env,
            verdicts.documents[f"{env}.tf.json"],
            verdicts.by_file[f"{env}.tf.json"],
            suppressions,
        )
        for env in ENVIRONMENTS
    ]

    assert [finding for scan in scans for finding in scan.failed] == []
    assert (
        stale(suppressions, [pair for scan in scans for pair in scan.suppressed], ENVIRONMENTS)
        == []
    )
    assert all(scan.passed > 0 and scan.resources > 0 for scan in scans)
