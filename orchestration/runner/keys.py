"""A KMS key lost behind Pulumi's back is never replaced silently (issue 21, items 11 and 12).

The provider reads a key that no longer exists, and one pending deletion, alike: as deleted.
So after someone deletes the key outside Pulumi (AWS keeps a "deleted" key pending deletion for
7 to 30 days), a deploy's refresh drops it from the state and the update creates a new key and
points every consumer (buckets, volumes, the log group) at it; what the old key encrypted is
unreadable once AWS deletes it. The preview shows this as the create of a key the state records.

Before such an update, `KeyGuard.check` asks KMS (DescribeKey, through the orchestrator's AWS
clients, so `--endpoint` holds) about the key the stack exports, and refuses:

- a key pending deletion can still be saved: the refusal says until when, and prints the
  commands that cancel the deletion and enable the key again (a cancelled key comes back
  Disabled);
- a key gone for good, or one KMS cannot be asked about, is said to be so;
- `--allow-delete` lets the update make the new key; it is said, with what becomes of the old
  one.

The refusal and the allowance both name the consumer stacks that read an output naming the key
(from the topology) and the deploys that re-point them. A bucket or any other resource deleted
behind Pulumi's back is left to the update to repair, as before: only keys are guarded here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import partial
from typing import Any

from orchestration.engine.interface import (
    Engine,
    OperationResult,
    OrchestrationError,
    OutputSink,
    ResourceStep,
)
from orchestration.runner.report import TaskHint
from orchestration.state.aws import KeyStatus, KeyUnreadable, key_status
from shared.aws_types import KMS_KEY
from shared.export_values import KMS_KEY_ARN_EXPORTS
from shared.topology import Topology

# The one state from which a key can be brought back (CancelKeyDeletion, then EnableKey).
PENDING_DELETION = "PendingDeletion"
# Where a key is gone to its provider: deleted, or on its way (a multi-Region replica's too).
_GONE_STATES = frozenset({None, PENDING_DELETION, "PendingReplicaDeletion"})

# Asks KMS about one key (id or ARN); KeyUnreadable when it cannot.
KeyReader = Callable[[str], KeyStatus]


class KeyLost(OrchestrationError):
    """A key the state records is gone or pending deletion; nothing was changed."""


@dataclass(frozen=True)
class LostKey:
    """A key the update would replace, what KMS says of it, and who reads it."""

    # The exported ARN of the key, or the logical name when the stack exports none.
    key: str
    status: KeyStatus | None
    # Why KMS could not say (None when it did).
    unreadable: str | None
    # The stack's outputs that name the key, and the consumers that read one of them.
    outputs: tuple[str, ...]
    readers: tuple[str, ...]

    @property
    def key_id(self) -> str:
        """The id the AWS CLI commands take (the ARN's last segment)."""
        return self.key.rsplit("/", 1)[-1]

    @property
    def pending(self) -> bool:
        return self.status is not None and self.status.state == PENDING_DELETION

    def condition(self) -> str:
        """What KMS says of the key, for messages."""
        if self.unreadable is not None:
            return (
                "is read as gone (deleted, or pending deletion, outside Pulumi), but KMS "
                f"could not be asked which: {self.unreadable}"
            )
        if self.status is not None and self.status.deletion_date is not None:
            when = self.status.deletion_date.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            return f"is pending deletion until {when}"
        if self.pending:
            return "is pending deletion"
        return "no longer exists (deleted outside Pulumi once its waiting period ended)"


class KeyGuard:
    """Checks a deploy's planned update for keys it would replace because they were lost."""

    def __init__(
        self,
        engine: Engine,
        topology: Topology,
        hint: TaskHint,
        region: str,
        read_key: KeyReader | None = None,
    ) -> None:
        """`read_key`: how KMS is asked (default: DescribeKey in `region`, at the hint's
        `--endpoint`)."""
        self._engine = engine
        self._topology = topology
        self._hint = hint
        self._region = region
        self._read_key = read_key or partial(key_status, region=region, endpoint=hint.endpoint)

    def check(
        self,
        project: str,
        planned: OperationResult,
        sink: OutputSink,
        *,
        allow_delete: bool,
        run: str | None,
    ) -> None:
        """KeyLost when `planned` recreates a key the state records, unless `allow_delete`
        (then `sink` is told what the replacement means).

        `run`: the deploy's `--project` (None: the whole environment), which tells which
        consumers this run deploys next and how to run it again.
        """
        lost = self.lost_keys(project, planned.steps)
        if not lost:
            return
        if allow_delete:
            selection = self._topology.names if run is None else (run,)
            for key in lost:
                sink(self._allowance(key, selection))
            return
        rerun = self._hint.command("deploy", run)
        raise KeyLost(" ".join(self._refusal(project, key, rerun) for key in lost))

    def lost_keys(self, project: str, steps: Sequence[ResourceStep]) -> list[LostKey]:
        """The keys the planned `steps` create although the stack's state records them."""
        creates = [step for step in steps if step.op == "create" and step.type == KMS_KEY]
        if not creates:
            return []
        recorded = {resource.urn for resource in self._engine.state(project).resources}
        lost = [step for step in creates if step.urn in recorded]
        if not lost:
            return []
        outputs = self._engine.outputs(project)
        declared = self._topology.project(project).exports
        arns = dict.fromkeys(
            str(outputs[name])
            for name in declared
            if name in KMS_KEY_ARN_EXPORTS and outputs.get(name)
        )
        found = [self._ask(project, arn, outputs) for arn in arns]
        gone = [key for key in found if _gone(key)]
        if gone:
            return gone
        # The exported keys are live: the lost one is a key the stack does not export.
        readers = self._readers(project, declared)
        reason = "the stack exports no ARN of it to ask KMS about"
        return [LostKey(step.name, None, reason, (), readers) for step in lost]

    def _ask(self, project: str, arn: str, outputs: Mapping[str, Any]) -> LostKey:
        key_id = arn.rsplit("/", 1)[-1]
        naming = {name for name, value in outputs.items() if key_id in str(value)}
        readers = self._readers(project, naming)
        read = tuple(
            name
            for name in self._topology.project(project).exports
            if name in naming
            and any(name in self._topology.project(reader).requires[project] for reader in readers)
        )
        try:
            status = self._read_key(arn)
        except KeyUnreadable as error:
            return LostKey(arn, None, str(error), read, readers)
        return LostKey(arn, status, None, read, readers)

    def _readers(self, project: str, outputs: Iterable[str]) -> tuple[str, ...]:
        wanted = set(outputs)
        return tuple(
            consumer
            for consumer in self._topology.consumers(project)
            if set(self._topology.project(consumer).requires[project]) & wanted
        )

    # ---- messages ---------------------------------------------------------------------------

    def _refusal(self, project: str, key: LostKey, rerun: str) -> str:
        text = (
            f"refused, nothing was changed in this stack: its KMS key {key.key} "
            f"{key.condition()}, so the refresh reads it as deleted and this update would "
            f"create a new key. {self._who_reads(key)}"
        )
        if key.pending:
            text += (
                " AWS keeps the key until then: cancel the deletion with "
                f"{self._aws('cancel-key-deletion', key)}, then enable the key (a cancelled key "
                f"comes back Disabled) with {self._aws('enable-key', key)}, then run {rerun}."
            )
        elif key.unreadable is not None:
            text += (
                f" Look with {self._aws('describe-key', key)}: a key PendingDeletion is saved "
                f"with {self._aws('cancel-key-deletion', key)} then "
                f"{self._aws('enable-key', key)}; then run {rerun}."
            )
        allow = self._hint.command("deploy", project, "--allow-delete")
        return f"{text} To replace the key anyway: {allow}{self._then_deploy(key.readers)}."

    def _allowance(self, key: LostKey, selection: Sequence[str]) -> str:
        text = f"--allow-delete: a new KMS key replaces {key.key}, which {key.condition()}."
        if key.readers:
            following = [name for name in key.readers if name in selection]
            later = [name for name in key.readers if name not in selection]
            read = f"its {', '.join(key.outputs)}" if key.outputs else "its outputs"
            text += f" {', '.join(key.readers)} read {read}:"
            if following:
                text += f" this run deploys {', '.join(following)} next, re-pointing them to it"
            if later:
                text += (
                    f"{';' if following else ''} deploy {', '.join(later)} next, so they stop "
                    f"naming the old key{self._then_deploy(later, lead=': ')}"
                )
            text += "."
        if key.pending:
            text += (
                " What the old key encrypted becomes unreadable when AWS deletes it: re-encrypt "
                "or copy it with the new key before then."
            )
        return text

    def _who_reads(self, key: LostKey) -> str:
        if key.pending:
            lost = "what the old key encrypted becomes unreadable when AWS deletes it"
        elif key.unreadable is None:
            lost = "what the old key encrypted cannot be read any more"
        else:
            lost = "what the old key encrypted is unreadable once it is gone"
        if not key.readers:
            return f"No other stack reads it; {lost}."
        read = f"its {', '.join(key.outputs)}" if key.outputs else "its outputs"
        return f"{', '.join(key.readers)} read {read} and would be pointed at the new key; {lost}."

    def _then_deploy(
        self, readers: Sequence[str], *, lead: str = ", then deploy the stacks that read it: "
    ) -> str:
        if not readers:
            return ""
        order = self._topology.deploy_order(readers)
        return lead + " then ".join(self._hint.command("deploy", name) for name in order)

    def _aws(self, operation: str, key: LostKey) -> str:
        words = ["aws", "kms", operation, "--key-id", key.key_id, "--region", self._region]
        if self._hint.endpoint:
            words += ["--endpoint-url", self._hint.endpoint]
        return f"`{' '.join(words)}`"


def _gone(key: LostKey) -> bool:
    """Whether KMS says the key is gone or going, or could not say (status None)."""
    return key.status is None or key.status.state in _GONE_STATES
