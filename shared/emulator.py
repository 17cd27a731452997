"""What aiming the stacks at a local AWS emulator means, shared by the orchestrator and programs.

The orchestrator passes `--endpoint URL` to the programs through `EMULATOR_ENDPOINT_ENV`; the
program's provider (`program.provider`), the state backend and bootstrap (`orchestration.state`)
and the live checks (`orchestration.verify`) then all use `emulator_credentials`: the shell's
AWS keys when it has some, else the emulator's documented dummy ones. An emulator accepts any
keys, but may tell accounts apart by them (moto does, for keys STS handed out), so every part
of one run sees the same emulated account. Kept free of Pulumi imports so the orchestrator can
read the variable's name without loading `pulumi_aws`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

# Set by `invoke ... --endpoint URL` to aim the provider at a local AWS emulator (LocalStack).
EMULATOR_ENDPOINT_ENV = "WEBAPP_AWS_ENDPOINT"
# Emulators (LocalStack, moto) document "test"/"test" as their dummy credentials: not secrets.
EMULATOR_ACCESS_KEY_ID = "test"
EMULATOR_SECRET_ACCESS_KEY = "test"  # noqa: S105
# Only the services our projects call.
EMULATED_SERVICES = (
    "acm",
    "autoscaling",
    "cloudwatchlogs",
    "ec2",
    "elbv2",
    "iam",
    "kms",
    "resourcegroupstaggingapi",
    "s3",
    "ssm",
    "sts",
)


@dataclass(frozen=True)
class EmulatorCredentials:
    access_key: str
    secret_key: str
    token: str | None = None


def emulator_credentials(environ: Mapping[str, str] | None = None) -> EmulatorCredentials:
    """The keys every part of a run uses at an emulator: the shell's, else the dummy ones."""
    env = os.environ if environ is None else environ
    access_key, secret_key = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if access_key and secret_key:
        return EmulatorCredentials(access_key, secret_key, env.get("AWS_SESSION_TOKEN") or None)
    return EmulatorCredentials(EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY)
