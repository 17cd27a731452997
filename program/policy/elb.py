"""Load balancer rule: production serves HTTPS with a current TLS policy; HTTP only redirects."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from program.policy import aws_types as t
from program.policy.model import Enforcement, Resource, Rule, StackView, is_unknown
from program.policy.values import as_list
from shared.limits import CURRENT_TLS_POLICY_PREFIXES, TLS_POLICY
from shared.topology import COMPUTE

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
)
