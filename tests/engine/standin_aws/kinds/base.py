"""TEST-ONLY stand-in AWS provider: what one resource type does (`Kind`), on one operation (`Op`).

`create` returns the id and the computed outputs (the server echoes the inputs), `read` the live
values (None once gone), `update` applies changed inputs and returns the computed outputs,
`delete` removes it. Calls go to the emulated account (`Op.aws`): ids, ARNs, name uniqueness
and deletions are the emulator's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.aws_facts import dns_suffix, partition_of
from tests.engine.standin_aws.emulator import Account, is_missing
from tests.engine.standin_aws.errors import AwsError
from tests.engine.standin_aws.wire import Props, plain


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

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:{self.partition}:{service}:{where}:{self.aws.id}:{resource}"


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


Made = tuple[str, Props]  # (id, computed outputs)
Read = Callable[[Op, str], Props]


@dataclass(frozen=True)
class Kind:
    create: Callable[[Op], Made]
    read: Callable[[Op, str], Props | None]
    delete: Callable[[Op, str], None]
    # Applies changed inputs and returns the computed outputs; None: updates change only what
    # `retag` changes (tags), the rest is echoed.
    update: Callable[[Op, str], Props] | None = None
    # Puts `tags_all` on the resource (Update when only tags changed).
    retag: Callable[[Op, str], None] | None = None
    # The type takes the provider's default tags (its outputs carry `tagsAll`).
    tagged: bool = True
    # Computed outputs an in-place update recomputes: unknown in an update's preview, as the
    # real provider marks them (a launch template's latestVersion).
    recomputed: frozenset[str] = frozenset()


def gone_if_missing(read: Callable[[], Props]) -> Props | None:
    """`read()`, or None when AWS says the resource does not exist."""
    try:
        return read()
    except AwsError as error:
        if is_missing(error):
            return None
        raise


def reader(*parts: Read) -> Callable[[Op, str], Props | None]:
    """A read merging what `parts` return; None when AWS says the resource does not exist."""
    return lambda op, i: gone_if_missing(lambda: {k: v for p in parts for k, v in p(op, i).items()})


def first(items: list[Any]) -> Any:
    """The one item of a describe result, or None."""
    return items[0] if items else None
