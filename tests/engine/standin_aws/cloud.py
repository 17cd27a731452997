"""TEST-ONLY stand-in AWS provider: the "cloud", a JSON file tests may edit behind Pulumi's back.

Layout of the file (values in the wire JSON form of `wire.py`, so secrets stay wrapped):

    {"resources": {"<type token>::<id>": {"type", "id", "urn", "seed", "region", "inputs",
                                          "outputs", "facts"}},
     "generations": {"<urn>": <how many times that URN was created>},
     "faults": {"delay": {"<type token or *>": seconds}, "fail": {"<type token or *>": message}},
     "settings": {"gatewayAttachSeconds": seconds},
     "taken": {"buckets": [<bucket names other accounts own>]}}

`facts` hold what AWS knows that the provider does not return: whether access and flow logs are
delivered, which instances an Auto Scaling group runs, launch template versions, a gateway's
attachment state, whether an instance could reach the internet, S3 and SSM at launch.

Several plugin processes (one per provider, per stack operation) and the tests touch it at once,
so every read-modify-write holds an exclusive `flock` on `<file>.lock` and the file is replaced
atomically. The provider reads `outputs` on refresh: changing an output here is drift; removing
a record is a resource deleted outside Pulumi.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import ACCOUNT_ID, CLOUD_FILE_ENV
from tests.engine.standin_aws.account import ProviderConfig
from tests.engine.standin_aws.rendering import render_outputs, seed_for
from tests.engine.standin_aws.wire import plain

CLOUD_FILE_NAME = "standin-aws-cloud.json"
# How long an internet gateway attachment takes to become available. AWS attaches
# asynchronously and the provider waits; long enough that a load balancer which does not wait
# for the gateway reliably asks while the VPC still has none.
DEFAULT_GATEWAY_ATTACH_SECONDS = 3.0


class CloudError(RuntimeError):
    """The cloud file is missing, unreadable, or a record the caller needs is not there."""


def default_cloud_file(environ: dict[str, str] | None = None) -> Path:
    """`$STANDIN_AWS_CLOUD_FILE`, else `$PULUMI_HOME/standin-aws-cloud.json`.

    There is deliberately no fallback to `~/.pulumi`: the stand-in only ever runs inside a
    PULUMI_HOME that the tests created.
    """
    env = os.environ if environ is None else environ
    if env.get(CLOUD_FILE_ENV):
        return Path(env[CLOUD_FILE_ENV])
    if env.get("PULUMI_HOME"):
        return Path(env["PULUMI_HOME"]) / CLOUD_FILE_NAME
    raise CloudError(
        f"the test-only AWS stand-in needs {CLOUD_FILE_ENV} or PULUMI_HOME to know where its "
        "cloud file is; run it through the tests/engine fixtures"
    )


def record_key(type_: str, id_: str) -> str:
    return f"{type_}::{id_}"


def _empty() -> dict[str, Any]:
    return {
        "resources": {},
        "generations": {},
        "faults": {"delay": {}, "fail": {}},
        "settings": {},
        "taken": {"buckets": []},
    }


@dataclass(frozen=True)
class CloudResource:
    """One resource as the stand-in cloud holds it (wire form: secrets still wrapped)."""

    type: str
    id: str
    urn: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The Pulumi logical name (last URN segment)."""
        return self.urn.rsplit("::", 1)[-1]

    def output(self, key: str) -> Any:
        """An output with secret wrappers removed."""
        return plain(self.outputs.get(key))


class Cloud:
    """The cloud file: used by the plugin and, through the same API, by the tests."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")

    # -- low level -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[dict[str, Any]]:
        """Exclusive read-modify-write of the file; written back only if the block succeeds."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                data = self._load()
                yield data
                self._save(data)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy of the whole file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            try:
                return self._load()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return _empty()
        try:
            data = json.loads(self.path.read_text())
        except ValueError as error:
            raise CloudError(
                f"stand-in cloud file {self.path} is not valid JSON: {error}"
            ) from None
        base = _empty()
        base.update(data)
        return base

    def _save(self, data: dict[str, Any]) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name)
        with os.fdopen(handle, "w") as stream:
            json.dump(data, stream, indent=1, sort_keys=True)
        os.replace(temporary, self.path)

    # -- queries ---------------------------------------------------------------------------

    def resources(self, type_: str | None = None) -> list[CloudResource]:
        """Every resource in the cloud, optionally of one type token, ordered by URN."""
        records = self.snapshot()["resources"].values()
        found = [_resource(record) for record in records if type_ in (None, record["type"])]
        return sorted(found, key=lambda resource: (resource.urn, resource.id))

    def get(self, type_: str, id_: str) -> CloudResource | None:
        record = self.snapshot()["resources"].get(record_key(type_, id_))
        return None if record is None else _resource(record)

    def find(self, type_: str, name: str) -> CloudResource:
        """The one resource of `type_` whose Pulumi logical name is `name`."""
        matches = [resource for resource in self.resources(type_) if resource.name == name]
        if len(matches) != 1:
            known = ", ".join(resource.name for resource in self.resources(type_)) or "none"
            raise CloudError(
                f"expected one {type_} named {name!r} in the stand-in cloud, found "
                f"{len(matches)}; present: {known}"
            )
        return matches[0]

    # -- changes behind Pulumi's back --------------------------------------------------------

    def change_outputs(self, type_: str, id_: str, **changes: Any) -> None:
        """Drift: change live properties as if someone edited the resource in the console."""
        with self.transaction() as data:
            record = _require(data, type_, id_)
            record["outputs"].update(changes)

    def remove(self, type_: str, id_: str) -> None:
        """Drift: delete the resource as if someone removed it outside Pulumi."""
        with self.transaction() as data:
            _require(data, type_, id_)
            del data["resources"][record_key(type_, id_)]

    def set_delay(self, type_: str, seconds: float) -> None:
        """Make Create/Update/Delete of `type_` (or `*`) take `seconds` (e.g. to interrupt them)."""
        with self.transaction() as data:
            data["faults"]["delay"][type_] = seconds

    def set_failure(self, type_: str, message: str) -> None:
        """Make Create/Update of `type_` (or `*`) fail with `message`."""
        with self.transaction() as data:
            data["faults"]["fail"][type_] = message

    def clear_faults(self) -> None:
        with self.transaction() as data:
            data["faults"] = _empty()["faults"]

    # -- the world outside the stack --------------------------------------------------------

    def set_gateway_attach_seconds(self, seconds: float) -> None:
        """How long internet gateway attachments take from now on (0: at once)."""
        with self.transaction() as data:
            data["settings"]["gatewayAttachSeconds"] = seconds

    def claim_bucket_name(self, name: str) -> None:
        """Another AWS account owns bucket `name`: creating it fails with BucketAlreadyExists."""
        with self.transaction() as data:
            data["taken"]["buckets"].append(name)

    def add_certificate(self, domain: str, region: str, *, status: str = "ISSUED") -> str:
        """An ACM certificate that exists outside any stack (as a configured ARN refers to);
        returns its ARN."""
        urn = f"urn:pulumi:standin::acm::{t.ACM_CERTIFICATE}::{domain}"
        config = ProviderConfig(region=region)
        with self.transaction() as data:
            seed = seed_for(urn, len(data["resources"]) + 1)
            arn, outputs = render_outputs(
                t.ACM_CERTIFICATE, urn, {"domainName": domain}, config, seed
            )
            outputs["status"] = status
            data["resources"][record_key(t.ACM_CERTIFICATE, arn)] = {
                "type": t.ACM_CERTIFICATE,
                "id": arn,
                "urn": urn,
                "seed": seed,
                "region": region,
                "inputs": {"domainName": domain},
                "outputs": outputs,
                "facts": {"owner": ACCOUNT_ID},
            }
        return arn

    def unreachable_instances(self) -> list[dict[str, Any]]:
        """Every instance that, when it launched, could not reach a service its first boot
        needs (`instance`: its name, `id`, `unreachable`: {"s3" | "ssm": why}; see
        reachability.py)."""
        return [
            {"instance": item.name, "id": item.id, "unreachable": item.facts["unreachable"]}
            for item in self.resources(t.INSTANCE)
            if item.facts.get("unreachable")
        ]

    def log_deliveries(self) -> list[dict[str, Any]]:
        """Every access log or flow log configuration and whether AWS would deliver its logs
        (`source`, `target`, `delivering`, `reason`; see delivery.py)."""
        found = []
        for resource in self.resources():
            status = resource.facts.get("delivery")
            if status is not None:
                found.append({"source": resource.name, **status})
        return found


def _resource(record: dict[str, Any]) -> CloudResource:
    return CloudResource(
        type=record["type"],
        id=record["id"],
        urn=record["urn"],
        inputs=record["inputs"],
        outputs=record["outputs"],
        facts=record.get("facts", {}),
    )


def _require(data: dict[str, Any], type_: str, id_: str) -> dict[str, Any]:
    record = data["resources"].get(record_key(type_, id_))
    if record is None:
        raise CloudError(f"no {type_} with id {id_!r} in the stand-in cloud")
    return record  # type: ignore[no-any-return]


def fault(data: dict[str, Any], kind: str, type_: str) -> Any:
    """The fault of `kind` ("delay" or "fail") configured for `type_`, else for `*`, else None."""
    table = data["faults"].get(kind, {})
    return table.get(type_, table.get("*"))
