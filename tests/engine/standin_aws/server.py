"""TEST-ONLY stand-in AWS provider: the gRPC ResourceProvider service the engine talks to.

Never used by a real deploy. One process serves one provider instance (the engine starts one
per `pulumi:providers:aws` resource); its configuration lives in the servicer, what each type
calls in `kinds/`, the account in the emulator the provider is configured with. Errors go back
as gRPC statuses with readable messages, because the engine hides a resource plugin's stderr;
a create that failed after AWS made the resource carries ErrorResourceInitFailed, as the real
provider's do, so the engine keeps the resource in the state.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent import futures
from contextlib import contextmanager
from typing import Any, NoReturn

import grpc
from google.protobuf import any_pb2, empty_pb2
from google.rpc import status_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from tests.engine.standin_aws import PLUGIN_NAME, PLUGIN_VERSION
from tests.engine.standin_aws.configuration import ProviderConfig, configure
from tests.engine.standin_aws.errors import AwsError, CreatedButFailed, ProviderError
from tests.engine.standin_aws.faults import fault
from tests.engine.standin_aws.functions import FunctionError, invoke
from tests.engine.standin_aws.kinds import KINDS
from tests.engine.standin_aws.kinds.base import Kind, Op, gone_if_missing
from tests.engine.standin_aws.naming import autoname, replace_keys, with_tags_all
from tests.engine.standin_aws.wire import (
    UNKNOWN,
    Props,
    is_secret,
    plain,
    same,
    secret,
    to_props,
    to_struct,
)

Diff = provider_pb2.PropertyDiff

# Keys of the provider's own inputs that never change what it does.
_IGNORED_CONFIG_KEYS = frozenset({"version"})
# Provider config keys whose change replaces the provider (and so every resource it manages).
_REPLACING_CONFIG_KEYS = frozenset({"region"})


PREFIX = "[test-only AWS stand-in] "


def _abort(context: grpc.ServicerContext, code: grpc.StatusCode, message: str) -> NoReturn:
    context.abort(code, PREFIX + message)
    raise AssertionError("unreachable: context.abort raises")


@contextmanager
def _refusals(context: grpc.ServicerContext) -> Iterator[None]:
    """Turn refusals and the stand-in's own errors into clear gRPC errors, not tracebacks."""
    try:
        yield
    except FunctionError as error:
        _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(error))
    except (AwsError, ProviderError) as error:
        # What AWS (or the provider before calling it) refuses: an ordinary provider error.
        _abort(context, grpc.StatusCode.UNKNOWN, str(error))


def _abort_init_failed(
    context: grpc.ServicerContext, failed: CreatedButFailed, inputs: Props
) -> NoReturn:
    """The create failed but the resource exists: the engine records it as failed to
    initialize (and updates it next time) instead of forgetting it."""
    detail = any_pb2.Any()
    detail.Pack(
        provider_pb2.ErrorResourceInitFailed(
            id=failed.id,
            properties=to_struct(failed.outputs),
            inputs=to_struct(inputs),
            reasons=[str(failed)],
        )
    )
    code = grpc.StatusCode.UNKNOWN
    status = status_pb2.Status(code=code.value[0], message=PREFIX + str(failed), details=[detail])
    context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
    _abort(context, code, str(failed))


class StandinAwsProvider(provider_pb2_grpc.ResourceProviderServicer):
    """Answers the ResourceProvider protocol for the `aws:` types in `KINDS`."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        # The environment the engine started the plugin with (the daemon serves many).
        self._environ = dict(os.environ if environ is None else environ)
        self._config: ProviderConfig | None = None
        # Set by Cancel (the engine was interrupted): injected delays stop at once, as a real
        # provider stops waiting on AWS.
        self._cancelled = threading.Event()

    # -- plumbing --------------------------------------------------------------------------

    def _require_config(self, context: grpc.ServicerContext) -> ProviderConfig:
        if self._config is None:
            _abort(context, grpc.StatusCode.FAILED_PRECONDITION, "provider used before Configure")
        return self._config

    def _apply_faults(
        self, type_: str, context: grpc.ServicerContext, *, failures: bool = True
    ) -> None:
        # A held change waits for the test to release it, for the engine's Cancel, or until the
        # engine is gone (its call is no longer active): a killed engine's change never lands.
        while fault("hold", type_, self._environ):
            if self._cancelled.wait(0.1) or not context.is_active():
                _abort(context, grpc.StatusCode.CANCELLED, f"{type_} operation cancelled")
        message = fault("fail", type_, self._environ)
        if failures and message:
            _abort(context, grpc.StatusCode.UNKNOWN, f"injected failure for {type_}: {message}")

    def _op(
        self, context: grpc.ServicerContext, request: Any, inputs: Props, olds: Props
    ) -> tuple[Kind, Op]:
        config = self._require_config(context)
        type_ = _type_of(request)
        kind = KINDS.get(type_)
        if kind is None:
            _abort(
                context,
                grpc.StatusCode.UNIMPLEMENTED,
                f"{type_} is not served by the stand-in: add it to tests/engine/standin_aws/kinds",
            )
        name = str(request.urn).rsplit("::", 1)[-1]
        return kind, Op(config.account, type_, name, inputs, config.default_tags, olds)

    # -- plugin and configuration ------------------------------------------------------------

    def _ambient_region(self) -> str | None:
        return self._environ.get("AWS_REGION") or self._environ.get("AWS_DEFAULT_REGION")

    def Handshake(self, request: Any, context: grpc.ServicerContext) -> Any:
        # The engine address is not needed: the stand-in never calls back into the engine.
        return provider_pb2.ProviderHandshakeResponse(
            accept_secrets=True,
            # Resource references arrive as plain ids, exactly what the echoed outputs need.
            accept_resources=False,
            accept_outputs=False,
            supports_autonaming_configuration=False,
            accepts_byte_string=False,
        )

    def GetPluginInfo(self, request: Any, context: grpc.ServicerContext) -> Any:
        return plugin_pb2.PluginInfo(version=PLUGIN_VERSION)

    def Cancel(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.cancel()
        return empty_pb2.Empty()

    def cancel(self) -> None:
        """Stop waiting on held faults: the engine was interrupted, or its plugin process died
        (a killed provider never finishes a change it was making)."""
        self._cancelled.set()

    def GetSchema(self, request: Any, context: grpc.ServicerContext) -> Any:
        # The engine does not need the schema to deploy; a package header keeps tools happy.
        schema = {"name": PLUGIN_NAME, "version": PLUGIN_VERSION, "resources": {}, "functions": {}}
        return provider_pb2.GetSchemaResponse(schema=json.dumps(schema))

    def CheckConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        reason = "missing region: set aws:region or the provider's region argument"
        failure = provider_pb2.CheckFailure(property="region", reason=reason)
        region = plain(to_props(request.news).get("region")) or self._ambient_region()
        return provider_pb2.CheckResponse(inputs=request.news, failures=[] if region else [failure])

    def DiffConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        olds = to_props(request.old_inputs) or to_props(request.olds)
        ignored = [*request.ignoreChanges, *_IGNORED_CONFIG_KEYS]
        return _diff(olds, to_props(request.news), _REPLACING_CONFIG_KEYS, ignored)

    def Configure(self, request: Any, context: grpc.ServicerContext) -> Any:
        args = to_props(request.args)
        if not args:
            prefix = f"{PLUGIN_NAME}:config:"
            args = {
                key.removeprefix(prefix): value
                for key, value in request.variables.items()
                if key.startswith(prefix)
            }
        with _refusals(context):
            self._config = configure(args, self._ambient_region())
        return provider_pb2.ConfigureResponse(
            acceptSecrets=True, supportsPreview=True, acceptResources=False, acceptOutputs=False
        )

    # -- functions -------------------------------------------------------------------------

    def Invoke(self, request: Any, context: grpc.ServicerContext) -> Any:
        config = self._require_config(context)
        with _refusals(context):
            result = invoke(request.tok, to_props(request.args), config)
        return provider_pb2.InvokeResponse(**{"return": to_struct(result)})

    # -- resources -------------------------------------------------------------------------

    def Check(self, request: Any, context: grpc.ServicerContext) -> Any:
        news, olds = to_props(request.news), to_props(request.olds)
        news = autoname(_type_of(request), request.urn, news, olds, bytes(request.randomSeed))
        return provider_pb2.CheckResponse(inputs=to_struct(news))

    def Diff(self, request: Any, context: grpc.ServicerContext) -> Any:
        news = to_props(request.news)
        if request.HasField("old_inputs"):
            olds = to_props(request.old_inputs)
        else:
            outputs = to_props(request.olds)
            olds = {key: outputs[key] for key in news if key in outputs}
        replacing = replace_keys(_type_of(request), news)
        return _diff(olds, news, replacing, request.ignoreChanges)

    def Create(self, request: Any, context: grpc.ServicerContext) -> Any:
        inputs = to_props(request.properties)
        kind, op = self._op(context, request, inputs, {})
        if request.preview:
            # Before calling AWS the provider knows its inputs; every computed output is unknown.
            return provider_pb2.CreateResponse(
                id="", properties=to_struct(with_tags_all(kind, op, inputs))
            )
        self._apply_faults(op.type_, context)
        try:
            with _refusals(context):
                resource_id, computed = kind.create(op)
        except CreatedButFailed as failed:
            failed.outputs = with_tags_all(kind, op, {**inputs, **failed.outputs, "id": failed.id})
            _abort_init_failed(context, failed, inputs)
        computed = _secret_like(inputs, computed)
        outputs = with_tags_all(kind, op, {**inputs, **computed, "id": resource_id})
        return provider_pb2.CreateResponse(id=resource_id, properties=to_struct(outputs))

    def Read(self, request: Any, context: grpc.ServicerContext) -> Any:
        state, inputs = to_props(request.properties), to_props(request.inputs)
        kind, op = self._op(context, request, inputs or state, state)
        with _refusals(context):
            live = kind.read(op, request.id)
        if live is None:
            # An empty id tells the engine the resource is gone.
            return provider_pb2.ReadResponse(id="")
        live = {k: _as_written(state.get(k), v) for k, v in live.items()}
        outputs = {**state, **_secret_like(state, live), "id": request.id}
        # What changed behind Pulumi's back shows in the inputs too, so a preview sees drift.
        seen = {name: live.get(name, value) for name, value in inputs.items()}
        if not inputs:
            # Adopted (a pending create, an import): the provider reads the identifying inputs
            # back from AWS, so the program's next diff is an update, not a new one. (Not the
            # region: the provider's own unless the program sets it.)
            keys = replace_keys(op.type_, live) - {"region"}
            seen = {name: value for name, value in live.items() if name in keys}
        return provider_pb2.ReadResponse(
            id=request.id, properties=to_struct(outputs), inputs=to_struct(seen)
        )

    def Update(self, request: Any, context: grpc.ServicerContext) -> Any:
        news, olds = to_props(request.news), to_props(request.olds)
        kind, op = self._op(context, request, news, to_props(request.old_inputs) or olds)
        if request.preview:
            outputs = {**olds, **news}
            if any(not same(olds.get(key), value) for key, value in news.items()):
                outputs.update(dict.fromkeys(kind.recomputed, UNKNOWN))
            return provider_pb2.UpdateResponse(
                properties=to_struct(with_tags_all(kind, op, outputs))
            )
        self._apply_faults(op.type_, context)
        with _refusals(context):
            computed = _secret_like(news, kind.update(op, request.id))
            if op.changed("tags"):
                kind.retag(op, request.id)
        outputs = with_tags_all(kind, op, {**olds, **news, **computed, "id": request.id})
        return provider_pb2.UpdateResponse(properties=to_struct(outputs))

    def Delete(self, request: Any, context: grpc.ServicerContext) -> Any:
        state = to_props(request.properties)
        kind, op = self._op(context, request, to_props(request.old_inputs) or state, state)
        self._apply_faults(op.type_, context, failures=False)
        with _refusals(context):
            gone_if_missing(lambda: kind.delete(op, request.id))
        return empty_pb2.Empty()


def _as_written(known: Any, live: Any) -> Any:
    """`known` (the state's value) when `live` is the same JSON document written differently:
    AWS hands policies back reformatted (IAM even decoded), and the provider compares them as
    documents, so formatting alone is no drift."""
    try:
        parsed_known = json.loads(plain(known)) if isinstance(plain(known), str) else None
        parsed_live = json.loads(live) if isinstance(live, str) else live
    except ValueError:
        return live
    if isinstance(parsed_known, dict) and parsed_known == parsed_live:
        return known
    return live


def _secret_like(reference: Props, values: Props) -> Props:
    """`values`, each secret where `reference` holds it secret: what AWS answers for a secret
    input stays secret in the outputs and in what a refresh reads."""
    return {k: secret(v) if is_secret(reference.get(k)) else v for k, v in values.items()}


def _type_of(request: Any) -> str:
    """The resource type token; taken from the URN when an older engine leaves `type` empty."""
    return str(request.type or request.urn.split("::")[2].split("$")[-1])


def _top_level(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def _diff(olds: Props, news: Props, replacing: frozenset[str], ignore_changes: Any) -> Any:
    skipped = {_top_level(path) for path in ignore_changes}
    changed: dict[str, Any] = {}
    for key in sorted(set(olds) | set(news)):
        if key in skipped or key.startswith("__"):
            continue
        old, new = olds.get(key), news.get(key)
        if old is None and new is None:
            continue
        if old is not None and new is not None and same(old, new):
            continue
        replace = key in replacing
        if old is None:
            kind = Diff.ADD_REPLACE if replace else Diff.ADD
        elif new is None:
            kind = Diff.DELETE_REPLACE if replace else Diff.DELETE
        else:
            kind = Diff.UPDATE_REPLACE if replace else Diff.UPDATE
        changed[key] = Diff(kind=kind, inputDiff=True)
    replaces = [key for key in changed if key in replacing]
    answer = provider_pb2.DiffResponse
    return answer(
        changes=answer.DIFF_SOME if changed else answer.DIFF_NONE,
        diffs=list(changed),
        replaces=replaces,
        detailedDiff=changed,
        hasDetailedDiff=True,
        deleteBeforeReplace=False,
    )


def _exit_with_parent(parent: int) -> None:
    """Die with the engine: a killed `pulumi` must not leave stand-in processes behind."""
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(0.5)


def start_server(
    provider: StandinAwsProvider, executor: futures.Executor | None = None
) -> tuple[grpc.Server, int]:
    """`provider` served on a free loopback port: (server, port)."""
    server = grpc.server(
        executor or futures.ThreadPoolExecutor(max_workers=16),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(provider, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def serve() -> None:
    """Start the service and print its port, the way the engine expects a plugin to."""
    server, port = start_server(StandinAwsProvider())
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    server.wait_for_termination()
