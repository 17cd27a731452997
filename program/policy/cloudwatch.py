"""CloudWatch Logs rule: log groups are encrypted with the customer key and expire their logs.

Without `kms_key_id`, CloudWatch Logs encrypts with a key of its own, which the key policy and
CloudTrail of our key know nothing about. Without a retention, logs are kept (and paid for)
forever; production keeps them a year at least, development as long as its config says.
"""

from __future__ import annotations

from collections.abc import Iterator

from program.policy.model import Enforcement, Resource, Rule, Scope, StackView, is_unknown
from program.policy.values import as_int, customer_key_problem
from shared import aws_types as t
from shared.limits import LOG_RETENTION_DAYS, PRODUCTION_LOG_RETENTION_MIN_DAYS


def _log_group_problems(group: Resource, view: StackView) -> Iterator[str]:
    problem = customer_key_problem(
        group, view, group.get("kmsKeyId"), prop="kmsKeyId", what="kms_key_id"
    )
    if problem:
        yield problem
    raw = group.get("retentionInDays")
    if is_unknown(raw):
        return
    days = as_int(raw)
    if raw is None or days == 0:  # 0 too: CloudWatch Logs never expires the events
        yield "sets no retention_in_days, so its logs are kept forever"
    elif days not in LOG_RETENTION_DAYS:
        yield f"retention_in_days {raw!r} is not a retention period CloudWatch Logs accepts"
    elif view.settings.production and days < PRODUCTION_LOG_RETENTION_MIN_DAYS:
        yield (
            f"keeps its logs {days} days; production keeps them at least "
            f"{PRODUCTION_LOG_RETENTION_MIN_DAYS}"
        )


RULES = (
    Rule(
        id="cloudwatch-log-group-encrypted",
        description=(
            "CloudWatch log groups are encrypted with the customer-managed key and set a "
            f"retention ({PRODUCTION_LOG_RETENTION_MIN_DAYS} days or more in production)."
        ),
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.LOG_GROUP,),
        check=_log_group_problems,
        fix=(
            "set kms_key_id=<security stack's kms_key_arn> and retention_in_days (in production "
            f"at least {PRODUCTION_LOG_RETENTION_MIN_DAYS}; the flow logs' comes from "
            "compute:flowLogRetentionDays)"
        ),
        scope=Scope.STACK,
        references=(
            "CKV_AWS_158",
            "CKV_AWS_66",
            "CKV_AWS_338",
            "AVD-AWS-0017",
            "AWS Config cloudwatch-log-group-encrypted",
        ),
    ),
)
