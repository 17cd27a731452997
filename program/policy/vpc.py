"""VPC rule: every VPC records all its traffic in a flow log.

A flow log is a resource of its own that names its VPC (`vpcId`), so the rule looks at the
whole stack, as the S3 rules do for a bucket's side resources.
"""

from __future__ import annotations

from collections.abc import Iterator

from program.policy.model import Enforcement, Resource, Rule, Scope, StackView, is_unknown
from shared import aws_types as t

# Accepted and rejected connections: ACCEPT alone hides the probes the security groups turned
# away, REJECT alone hides what got through.
ALL_TRAFFIC = "ALL"


def _flow_log_problems(vpc: Resource, view: StackView) -> Iterator[str]:
    flow_logs = [log for log in view.of_type(t.FLOW_LOG) if view.refers_to(log, "vpcId", vpc)]
    if not flow_logs:
        yield "has no flow log (FlowLog with vpc_id = this VPC), so its traffic is not recorded"
        return
    traffic = [log.get("trafficType") for log in flow_logs]
    if any(is_unknown(kind) or kind == ALL_TRAFFIC for kind in traffic):
        return
    kinds = ", ".join(sorted({repr(kind) for kind in traffic}))
    yield f"its flow logs record {kinds} traffic only, not {ALL_TRAFFIC!r}"


RULES = (
    Rule(
        id="vpc-flow-logs",
        description="Every VPC has a flow log of all its traffic (accepted and rejected).",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.VPC,),
        check=_flow_log_problems,
        fix=(
            "add an aws.ec2.FlowLog with vpc_id=<the VPC's id> and traffic_type='ALL' into an "
            "encrypted log group (program/components/flow_logs.py)"
        ),
        scope=Scope.STACK,
        references=("CKV2_AWS_11", "AVD-AWS-0178", "AWS Config vpc-flow-logs-enabled"),
    ),
)
