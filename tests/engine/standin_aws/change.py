"""TEST-ONLY stand-in AWS provider: one Create, Update or Delete, as the rules see it.

A `Change` carries the cloud data (inside the caller's transaction), the provider config, the
resource's type and region, its inputs and the outputs being written, and, for an update or a
delete, the record as it is in the cloud. Rules read it, raise AWS's refusals, adjust outputs
AWS computes from other resources (a load balancer's VPC), write facts, or note a failure that
happens after AWS already created the resource (`failure`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.engine.standin_aws import lookups
from tests.engine.standin_aws.account import ProviderConfig
from tests.engine.standin_aws.wire import Props, plain


@dataclass
class Change:
    data: dict[str, Any]
    config: ProviderConfig
    type_: str
    region: str
    inputs: Props
    outputs: Props
    # The record in the cloud: the one being updated or deleted, or the one just created.
    record: lookups.Record | None = None
    # Update: the previous inputs. Delete: the state's outputs (what the provider last wrote).
    olds: Props = field(default_factory=dict)
    # Set when AWS created the resource but the operation then failed (e.g. no capacity).
    failure: str | None = None
    # Seconds the provider then waits for AWS to finish (e.g. a gateway attachment); None:
    # nothing to finish.
    settle_seconds: float | None = None

    @property
    def id(self) -> str:
        return str(self.outputs.get("id") or (self.record or {}).get("id"))

    def get(self, key: str, default: Any = None) -> Any:
        """A new input or computed output, secrets unwrapped."""
        value = plain(self.outputs.get(key, self.inputs.get(key)))
        return default if value is None else value

    def input(self, key: str, default: Any = None) -> Any:
        """A new input only (not a computed output), secrets unwrapped."""
        value = plain(self.inputs.get(key))
        return default if value is None else value

    def old(self, key: str) -> Any:
        return plain(self.olds.get(key))

    def changed(self, key: str) -> bool:
        return plain(self.inputs.get(key)) != plain(self.olds.get(key))

    @property
    def facts(self) -> dict[str, Any]:
        if self.record is None:
            raise RuntimeError("facts are written once the record exists")
        return lookups.facts(self.record)

    @property
    def live(self) -> Props:
        """The cloud's current outputs of the record (console changes included)."""
        return {} if self.record is None else plain(self.record["outputs"])
