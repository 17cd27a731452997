"""TEST-ONLY stand-in AWS provider: the JSON form of property values on the provider protocol.

The engine sends property bags as `google.protobuf.Struct`. We work on their plain JSON form
(`MessageToDict`), which keeps Pulumi's special values as they travel on the wire:
- an unknown value (preview) is the string `UNKNOWN`;
- a secret is `{SIG_KEY: SECRET_SIG, "value": <plain value>}`.
The constants are copied from `pulumi/runtime/rpc.py` (a test checks they still agree), so the
stand-in never reaches into the SDK's private names.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from google.protobuf import json_format, struct_pb2

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

Props = dict[str, Any]


def to_props(struct: struct_pb2.Struct | None) -> Props:
    """A Struct as a plain dict (empty for a missing Struct)."""
    if struct is None:
        return {}
    return json_format.MessageToDict(struct)


def to_struct(props: Props) -> struct_pb2.Struct:
    """A plain dict as a Struct; None values are dropped, as the engine treats them as absent."""
    struct = struct_pb2.Struct()
    struct.update({key: value for key, value in props.items() if value is not None})
    return struct


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def secret(value: Any) -> dict[str, Any]:
    """Wrap a plain value as a secret (idempotent)."""
    if is_secret(value):
        return value  # type: ignore[no-any-return]
    return {SIG_KEY: SECRET_SIG, "value": value}


def plain(value: Any) -> Any:
    """The value with every secret wrapper removed, at any depth."""
    if is_secret(value):
        return plain(value["value"])
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(_unknown(item) for item in value)
    return bool(value == UNKNOWN)


def same(old: Any, new: Any) -> bool:
    """Equal as the cloud would see them: secrecy does not matter, an unknown never equals."""
    return not _unknown(new) and bool(plain(old) == plain(new))


def decode_json_config(value: Any) -> Any:
    """Provider config: the SDK JSON-encodes every non-string provider input (a quirk of bridged
    providers), so `defaultTags` arrives as a JSON string inside an optional secret."""
    raw = plain(value)
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return copy.deepcopy(raw)
