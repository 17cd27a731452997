"""Realistic values for the output contract's keys, for the doubles and the program tests.

The contract refuses empty and malformed values (`shared.export_values`), so a double that
stands in for a producer exports values of the right shape, per environment.
"""

from __future__ import annotations

from orchestration.plan.placeholders import PLACEHOLDER_ACCOUNT_ID
from shared import naming, topology
from shared.settings import load_settings

ACCOUNT = PLACEHOLDER_ACCOUNT_ID
# Upstream key ids differ per environment, so a test catches a cross-environment mix-up.
KEY_IDS = {
    "development": "0000beef-0000-4000-8000-000000000001",
    "production": "0000beef-0000-4000-8000-000000000002",
}


def contract_value(key: str, environment: str) -> str:
    """A realistic upstream value for one export key of the contract."""
    settings = load_settings(environment)
    region = settings.region
    values = {
        topology.KMS_KEY_ARN: f"arn:aws:kms:{region}:{ACCOUNT}:key/{KEY_IDS[environment]}",
        topology.KMS_KEY_ID: KEY_IDS[environment],
        topology.KMS_ALIAS_NAME: naming.kms_alias(settings, "data"),
        topology.BUCKET_NAME: naming.bucket_name(settings, "data", ACCOUNT),
        topology.BUCKET_ARN: f"arn:aws:s3:::{naming.bucket_name(settings, 'data', ACCOUNT)}",
        topology.LOG_BUCKET_NAME: naming.bucket_name(settings, "logs", ACCOUNT)
        if settings.production
        else "",
    }
    # Keys without a realistic value here (a new project's) get a recognisable stand-in.
    return values.get(key, f"{key}-value")


def contract_exports(project: str, environment: str = "development") -> dict[str, str]:
    """Every export `project` declares, with a realistic value."""
    spec = topology.TOPOLOGY.project(project)
    return {key: contract_value(key, environment) for key in spec.exports}
