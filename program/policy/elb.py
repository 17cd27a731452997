"""Load balancer rules: production serves HTTPS with a current TLS policy (HTTP only redirects),
and its internet-facing load balancers log every request into the environment's log bucket."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from program.policy.model import Enforcement, Resource, Rule, Scope, StackView, is_unknown
from program.policy.values import as_bool, as_list
from shared import aws_types as t
from shared.limits import CURRENT_TLS_POLICY_PREFIXES, TLS_POLICY
from shared.topology import COMPUTE, LOG_BUCKET_NAME, STORAGE

TLS_PROTOCOLS = ("HTTPS", "TLS")


def _redirects_to_https(action: object) -> bool:
    if not isinstance(action, Mapping) or action.get("type") != "redirect":
        return False
    redirect = action.get("redirect")
    return isinstance(redirect, Mapping) and redirect.get("protocol") == "HTTPS"


def _https_problems(listener: Resource, view: StackView) -> Iterator[str]:
    settings = view.settings
    if not settings.production:
        return
    protocol = listener.get("protocol")
    if is_unknown(protocol):
        return
    if protocol in TLS_PROTOCOLS:
        policy = listener.get("sslPolicy")
        if is_unknown(policy):
            return
        if not (isinstance(policy, str) and policy.startswith(CURRENT_TLS_POLICY_PREFIXES)):
            yield (
                f"ssl_policy is {policy!r}, which allows TLS older than 1.2 (none given: ELB's "
                f"default does); use {TLS_POLICY!r}"
            )
        return
    actions = listener.get("defaultActions")
    if is_unknown(actions) or all(_redirects_to_https(a) for a in as_list(actions)):
        return
    yield (
        f"{settings.environment} serves plain HTTP; set {COMPUTE}:certificateArn (an ACM "
        f"certificate of {settings.region}) in projects/{COMPUTE}/Pulumi."
        f"{settings.environment}.yaml, and the load balancer serves HTTPS and HTTP only "
        "redirects to it"
    )


def _internet_facing_in_production(load_balancer: Resource, view: StackView) -> bool:
    """True for the load balancers the access log rule judges: production's public ones."""
    if not view.settings.production:
        return False  # development has no load balancer (one instance, served directly)
    internal = load_balancer.get("internal")
    # A gateway load balancer is never internet-facing and has no access logs to write.
    return (
        not is_unknown(internal)
        and as_bool(internal) is not True
        and load_balancer.get("loadBalancerType") != "gateway"
    )


def _access_log_problems(load_balancer: Resource, view: StackView) -> Iterator[str]:
    logs = load_balancer.get("accessLogs")
    if not _internet_facing_in_production(load_balancer, view) or is_unknown(logs):
        return
    if not isinstance(logs, Mapping):
        yield "is internet-facing and writes no access logs (no access_logs)"
        return
    enabled = logs.get("enabled")
    if not is_unknown(enabled) and as_bool(enabled) is not True:
        yield "leaves access_logs.enabled off (ELB's default, even with a bucket named)"
    bucket = logs.get("bucket")
    if is_unknown(bucket):
        return
    if not (isinstance(bucket, str) and bucket):
        yield "names no access log bucket"
        return
    expected = view.upstream.get(LOG_BUCKET_NAME)
    if isinstance(expected, str) and expected and bucket != expected:
        yield (
            f"writes its access logs into {bucket!r}, not the {STORAGE} stack's log bucket "
            f"{expected!r} (whose policy lets ELB deliver them)"
        )


RULES = (
    Rule(
        id="elb-https-only",
        description=(
            "In production, load balancers serve HTTPS with a TLS 1.2+ policy, and HTTP "
            "listeners only redirect to HTTPS."
        ),
        enforcement=Enforcement.ADVISORY,
        resource_types=(t.LISTENER,),
        check=_https_problems,
        fix=(
            f"give the project a certificate ({COMPUTE}:certificateArn): an HTTPS listener with "
            f"ssl_policy={TLS_POLICY!r} forwards, the HTTP listener redirects to HTTPS (301)"
        ),
        references=("CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_20", "AVD-AWS-0054", "AVD-AWS-0047"),
    ),
    Rule(
        id="elb-access-logs",
        description=(
            "In production, internet-facing load balancers write access logs into the "
            "environment's log bucket."
        ),
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.LOAD_BALANCER,),
        check=_access_log_problems,
        fix=(
            f"set access_logs bucket=<{STORAGE} stack's {LOG_BUCKET_NAME}>, a prefix and "
            "enabled=True (program/components/load_balancer.py)"
        ),
        scope=Scope.STACK,
        references=("CKV_AWS_91", "AWS Config elb-logging-enabled"),
    ),
)
