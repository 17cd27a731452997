"""TEST-ONLY stand-in AWS provider: what one resource type does (`Kind`), on one operation (`Op`).

Calls go to the emulated account (`Op.aws`): ids, ARNs, name uniqueness and deletions are the
emulator's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.aws_facts import dns_suffix, partition_of
from tests.engine.standin_aws import ec2
from tests.engine.standin_aws.emulator import Account, is_missing
from tests.engine.standin_aws.errors import AwsError
from tests.engine.standin_aws.wire import Props, plain

Made = tuple[str, Props]  # (id, computed outputs)


@dataclass
class Op:
    """One Create, Read, Update or Delete of one resource."""

    aws: Account
    type_: str
    name: str  # the logical name, from the URN
    inputs: Props  # the new inputs (Create, Update) or the state's inputs (Read, Delete)
    default_tags: Mapping[str, str] = field(default_factory=dict)
    # Update: the previous inputs; Read and Delete: the outputs Pulumi's state holds.
    olds: Props = field(default_factory=dict)

    @property
    def region(self) -> str:
        return str(plain(self.inputs.get("region")) or self.aws.region)

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    @property
    def dns_suffix(self) -> str:
        return dns_suffix(self.partition)

    def get(self, key: str, default: Any = None) -> Any:
        """An input, secrets unwrapped, whole numbers as ints."""
        value = _whole(plain(self.inputs.get(key)))
        return default if value is None else value

    def old(self, key: str, default: Any = None) -> Any:
        value = _whole(plain(self.olds.get(key)))
        return default if value is None else value

    def changed(self, *keys: str) -> bool:
        return any(self.get(key) != self.old(key) for key in keys)

    def given(self, names: Mapping[str, str]) -> dict[str, Any]:
        """{API name: input} for each input of `names` ({input: API name}) that is set."""
        return {api: self.get(key) for key, api in names.items() if self.get(key)}

    @property
    def tags_all(self) -> dict[str, str]:
        """The provider's default tags under the resource's own (`tagsAll`)."""
        return {**self.default_tags, **(self.get("tags") or {})}

    def live_tags(self, live: Mapping[str, str]) -> Props:
        """`tags` and `tagsAll` as the provider reads them back: the resource's own tags are
        the live ones except default tags left at their default value."""
        own = {k: v for k, v in live.items() if self.default_tags.get(k) != v}
        return {"tags": own, "tagsAll": dict(live)}

    def tag_list(self, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
        return [{key: k, value: str(v)} for k, v in self.tags_all.items()]

    def call(self, action: str, service: str, operation: str, **arguments: Any) -> Any:
        return self.aws.call(action, service, operation, **arguments)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.aws.id}:{resource}"


def _whole(value: Any) -> Any:
    """A protobuf Struct carries every number as a double; AWS's integer parameters (ports,
    counts, seconds) need ints, as the provider's typed schema gives them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole(item) for item in value]
    return value


class Kind:
    """One resource type. `create` returns the id and the computed outputs (the server echoes
    the inputs); `read` the live values, None once gone; `update` applies changed inputs and
    returns the computed outputs; `retag` puts `tags_all` on the resource when tags changed."""

    # The type takes the provider's default tags (its outputs carry `tagsAll`).
    tagged = True
    # Computed outputs an in-place update recomputes: unknown in an update's preview, as the
    # real provider marks them (a launch template's latestVersion).
    recomputed: frozenset[str] = frozenset()

    def create(self, op: Op) -> Made:
        raise NotImplementedError

    def outputs(self, op: Op, resource_id: str) -> Props | None:
        """The live outputs; an AwsError AWS means as "not found", or None, once gone."""
        raise NotImplementedError

    def read(self, op: Op, resource_id: str) -> Props | None:
        return gone_if_missing(lambda: self.outputs(op, resource_id))

    def update(self, op: Op, resource_id: str) -> Props:
        return {}  # only tags change in place (`retag`); the rest is echoed

    def retag(self, op: Op, resource_id: str) -> None:
        return None

    def delete(self, op: Op, resource_id: str) -> None:
        raise NotImplementedError


class Ec2Kind(Kind):
    """An EC2 type by its API noun ("Vpc"): Create<noun> with TagSpecifications gives the id,
    Describe<noun>s the live item, Delete<noun> (Delete<noun>s for `plural`) removes it; its
    tags are read and put through DescribeTags, CreateTags and DeleteTags."""

    noun = ""
    what = ""  # its name in the provider's messages ("EC2 VPC")
    tag_type = ""  # its TagSpecifications ResourceType ("vpc")
    plural = False

    def make(self, op: Op, action: str = "", **arguments: Any) -> str:
        tags = ec2.tagging(op, self.tag_type)
        action = action or f"creating {self.what}"
        made = ec2.call(op, action, f"Create{self.noun}", **arguments, TagSpecifications=tags)
        return str(made[self.noun][f"{self.noun}Id"])

    def describe(self, op: Op, resource_id: str) -> Any:
        ids = {f"{self.noun}Ids": [resource_id]}
        return ec2.one(op, f"Describe{self.noun}s", f"{self.noun}s", resource_id, **ids)

    def read(self, op: Op, resource_id: str) -> Props | None:
        return gone_if_missing(
            lambda: {**(self.outputs(op, resource_id) or {}), **ec2.live_tags(op, resource_id)}
        )

    def retag(self, op: Op, resource_id: str) -> None:
        ec2.retag(op, resource_id)

    def delete(self, op: Op, resource_id: str) -> None:
        action, key = f"deleting {self.what} ({resource_id})", f"{self.noun}Id"
        if self.plural:
            ec2.call(op, action, f"Delete{self.noun}s", **{f"{key}s": [resource_id]})
        else:
            ec2.call(op, action, f"Delete{self.noun}", **{key: resource_id})


class Untagged(Kind):
    tagged = False


def gone_if_missing(read: Callable[[], Props | None]) -> Props | None:
    """`read()`, or None when AWS says the resource does not exist."""
    try:
        return read()
    except AwsError as error:
        if is_missing(error):
            return None
        raise


def first(items: list[Any]) -> Any:
    """The one item of a describe result, or None."""
    return items[0] if items else None
