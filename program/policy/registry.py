"""All rules, in one tuple, and the loop that applies them to a stack."""

from __future__ import annotations

from collections.abc import Iterable

from program.policy import cloudwatch, coverage, ec2, elb, encryption, general, iam, kms, s3, vpc
from program.policy.model import Rule, StackView, Violation

_SPECIFIC: tuple[Rule, ...] = (
    *s3.RULES,
    *kms.RULES,
    *ec2.RULES,
    *vpc.RULES,
    *cloudwatch.RULES,
    *elb.RULES,
    *iam.RULES,
    *general.RULES,
    *encryption.RULES,
)
# Last: it reports the AWS types none of the rules above looks at.
RULES: tuple[Rule, ...] = (*_SPECIFIC, coverage.coverage_rule(_SPECIFIC))

_BY_ID = {rule.id: rule for rule in RULES}
if len(_BY_ID) != len(RULES):
    raise RuntimeError("two security rules share an id; rule ids must be unique")


def rule_by_id(rule_id: str) -> Rule:
    """The rule with `rule_id`; KeyError naming the known ids otherwise."""
    try:
        return _BY_ID[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule {rule_id!r}; known rules: {', '.join(_BY_ID)}") from None


def evaluate(view: StackView, rules: Iterable[Rule] = RULES) -> list[Violation]:
    """Every violation of `rules` in the stack, rule by rule, in resource order."""
    return [
        violation
        for rule in rules
        for resource in view.resources
        for violation in rule.violations(resource, view)
    ]
