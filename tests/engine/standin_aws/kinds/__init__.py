"""TEST-ONLY stand-in: every resource type it serves, by pulumi-aws type token (`KINDS`)."""

from __future__ import annotations

from tests.engine.standin_aws.kinds import (
    autoscaling,
    compute,
    elb,
    iam,
    kms,
    logs,
    network,
    s3,
    security_groups,
)
from tests.engine.standin_aws.kinds.base import Kind

# One module per AWS service; each holds a KINDS table of its types.
_MODULES = (kms, s3, iam, logs, network, security_groups, compute, autoscaling, elb)
KINDS: dict[str, Kind] = {
    token: kind for module in _MODULES for token, kind in module.KINDS.items()
}
