"""What aiming the stacks at a local AWS emulator means, shared by the orchestrator and programs.

The orchestrator passes `--endpoint URL` to the programs through `EMULATOR_ENDPOINT_ENV`; the
program's provider (`program.provider`) and the live checks (`orchestration.verify`) then use the
emulator's documented dummy credentials. Kept free of Pulumi imports so the orchestrator can read
the variable's name without loading `pulumi_aws`.
"""

from __future__ import annotations

# Set by `invoke ... --endpoint URL` to aim the provider at a local AWS emulator (LocalStack).
EMULATOR_ENDPOINT_ENV = "WEBAPP_AWS_ENDPOINT"
# Emulators (LocalStack, moto) document "test"/"test" as their dummy credentials: not secrets.
EMULATOR_ACCESS_KEY_ID = "test"
EMULATOR_SECRET_ACCESS_KEY = "test"  # noqa: S105
# Only the services our projects call.
EMULATED_SERVICES = ("ec2", "elbv2", "iam", "kms", "s3", "ssm", "sts")
