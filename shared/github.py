"""Where this repository lives on GitHub: its organization and name, written once.

CODEOWNERS names teams as `@<organization>/<team>`; the deploy roles trust GitHub Actions'
OIDC tokens of `repo:<organization>/<repository>:environment:<env>` only. A fork or a renamed
repository changes these two lines (and runs `invoke generate`).
"""

from __future__ import annotations

GITHUB_ORGANIZATION = "webapp-org"
GITHUB_REPOSITORY = "webapp-infra"
# GitHub Actions' OIDC issuer, and the audience aws-actions/configure-aws-credentials asks for.
OIDC_PROVIDER_HOST = "token.actions.githubusercontent.com"
OIDC_AUDIENCE = "sts.amazonaws.com"


def oidc_subject(environment: str) -> str:
    """The `sub` claim of a job that runs in the GitHub environment `environment`."""
    return f"repo:{GITHUB_ORGANIZATION}/{GITHUB_REPOSITORY}:environment:{environment}"
