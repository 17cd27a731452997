"""A Pulumi language host for Python: the `pulumi-language-python` plugin, written in Python.

The real host is a Go program (module github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-
python/v3) that the module proxy does not serve, so this implements the same LanguageRuntime gRPC
service with the stubs that ship in the pulumi wheel. It behaves like the real host where the
engine can tell the difference:

- started as `pulumi-language-python [flags] ENGINE_ADDRESS`, it prints its port and serves;
- Run starts a fresh interpreter on program_exec.py (our `pulumi-language-python-exec`) with the
  same arguments and PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS variables, lets the program's
  output flow to our stdout/stderr (the engine shows it), and maps exit code 32 to `bail`
  (the error was already reported) and any other failure to "program exited with non-zero exit
  code: N";
- RunPlugin runs a plugin directory (a policy pack, a Python provider) with `python -u DIR ARGS`
  and streams its output back; this is how the engine starts Python policy packs;
- GetRequiredPackages/GetRequiredPlugins report nothing: the engine then loads each provider on
  demand, at the version the SDK sends with each resource registration;
- InstallDependencies only reports: dependencies belong to the repo's venv (`uv sync`).

Interpreter: `runtime.options.virtualenv` of Pulumi.yaml / PulumiPolicy.yaml (relative to the
project directory) when set, otherwise the interpreter running this host, i.e. the one baked
into the shim (the repo's venv). The real host would use `python3` from PATH, or refuse plugins
without a virtualenv; using the repo venv is what this repo wants in both cases.

Run by file path (see shims.py), so it must only import the standard library, grpc and pulumi.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import tomllib
import types
from collections.abc import Iterator, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any


def _sdk_packages_without_their_init() -> None:
    """Register `pulumi` and `pulumi.runtime` as bare packages before importing the gRPC stubs.

    The host needs only `pulumi.runtime.proto`; importing it the usual way runs the SDK's own
    `__init__` modules (automation, mocks, the runtime), about 0.4 s of CPU per start, and the
    engine starts a host twice per stack operation. Nothing else of the SDK runs in this process
    (programs and policy packs run in interpreters of their own).
    """
    spec = importlib.util.find_spec("pulumi")
    if spec is None or spec.origin is None:
        return
    root = Path(spec.origin).parent
    for name, path in (("pulumi", root), ("pulumi.runtime", root / "runtime")):
        package = types.ModuleType(name)
        package.__path__ = [str(path)]
        sys.modules[name] = package


if __name__ == "__main__":  # the shim runs this file; tests import it with the SDK loaded
    _sdk_packages_without_their_init()

import grpc  # noqa: E402
from google.protobuf import empty_pb2  # noqa: E402
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2  # noqa: E402

PROGRAM_EXEC = Path(__file__).with_name("program_exec.py")
# Exit code by which a Python program says "I already reported the error" (same as upstream).
EXIT_ALREADY_REPORTED = 32
# Go-style flags that take a value; with `-flag value` the value is a separate argument.
_VALUE_FLAGS = {"tracing", "root", "virtualenv", "typechecker", "toolchain", "use-executor", "v"}
_WATCHDOG_SECONDS = 2.0
_READ_CHUNK = 65536


@dataclass(frozen=True)
class HostArgs:
    engine_address: str
    tracing: str


def parse_args(argv: Sequence[str]) -> HostArgs:
    """The engine's arguments: optional Go-style flags, then the engine address (last).

    Unknown flags are ignored, whatever their form (`-x`, `--x`, `-x=v`, `--x v` for the known
    value flags), so a newer engine passing a new flag still gets a working host.
    """
    positionals: list[str] = []
    flags: dict[str, str] = {}
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        if not arg.startswith("-") or arg == "-":
            positionals.append(arg)
            continue
        name, has_value, value = arg.lstrip("-").partition("=")
        if not has_value and name in _VALUE_FLAGS and name != "v" and index < len(argv):
            value = argv[index]
            index += 1
        flags[name] = value
    return HostArgs(
        engine_address=positionals[-1] if positionals else "", tracing=flags.get("tracing", "")
    )


class InvalidVirtualenv(Exception):
    pass


def resolve_interpreter(info: language_pb2.ProgramInfo | None) -> tuple[str, dict[str, str]]:
    """The python to run and the environment changes that activate it."""
    virtualenv: object = None
    if info is not None and info.HasField("options") and "virtualenv" in info.options:
        virtualenv = info.options["virtualenv"]  # a protobuf Struct reads like a dict
    if not virtualenv:
        return sys.executable, {}
    root = Path(info.root_directory) if info is not None and info.root_directory else Path.cwd()
    # normpath, not resolve(): keep a symlinked venv's own path, as activation would.
    venv = Path(os.path.normpath(root / str(virtualenv)))
    python = venv / "bin" / "python"
    if not python.exists():
        raise InvalidVirtualenv(
            f"The 'virtualenv' option is set to {virtualenv!r}, but {venv} doesn't appear to be "
            "a virtual environment (no bin/python). Create it, e.g. with `uv sync` in the repo."
        )
    env = {
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return str(python), env


def _child_env(changes: Mapping[str, str], extra: Mapping[str, str] = {}) -> dict[str, str]:
    env = dict(os.environ)
    env.update(changes)
    env.update(extra)
    if "VIRTUAL_ENV" in changes:
        env.pop("PYTHONHOME", None)
    return env


def exec_arguments(
    request: language_pb2.RunRequest, engine_address: str, tracing: str
) -> list[str]:
    """Arguments for program_exec.py, in the order the Go host builds them."""
    args: list[str] = []

    def maybe(name: str, value: str) -> None:
        if value:
            args.extend([f"--{name}", value])

    maybe("monitor", request.monitor_address)
    maybe("engine", engine_address)
    maybe("project", request.project)
    maybe("root_directory", request.info.root_directory if request.HasField("info") else "")
    maybe("stack", request.stack)
    maybe("pwd", request.pwd)
    maybe("dry_run", "true" if request.dryRun else "false")
    maybe("parallel", str(request.parallel))
    maybe("tracing", tracing)
    maybe("organization", request.organization)
    entry_point = request.info.entry_point if request.HasField("info") else ""
    args.append(entry_point or request.program or ".")
    args.extend(request.args)
    return args


def run_response_for_exit(code: int) -> language_pb2.RunResponse:
    if code == 0:
        return language_pb2.RunResponse()
    if code == EXIT_ALREADY_REPORTED:
        return language_pb2.RunResponse(bail=True)
    if code < 0:
        return language_pb2.RunResponse(error=f"program exited unexpectedly: signal {-code}")
    return language_pb2.RunResponse(error=f"program exited with non-zero exit code: {code}")


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine_address: str, tracing: str = "") -> None:
        self.engine_address = engine_address
        self.tracing = tracing

    # --- identity and discovery -------------------------------------------------------------

    def GetPluginInfo(self, request: empty_pb2.Empty, context: Any) -> plugin_pb2.PluginInfo:
        # Same as the real host: the version of the Pulumi release it belongs to.
        return plugin_pb2.PluginInfo(version=metadata.version("pulumi"))

    def Handshake(
        self, request: language_pb2.LanguageHandshakeRequest, context: Any
    ) -> language_pb2.LanguageHandshakeResponse:
        self.engine_address = request.engine_address or self.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetRequiredPlugins(
        self, request: language_pb2.GetRequiredPluginsRequest, context: Any
    ) -> language_pb2.GetRequiredPluginsResponse:
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(
        self, request: language_pb2.GetRequiredPackagesRequest, context: Any
    ) -> language_pb2.GetRequiredPackagesResponse:
        # Nothing up front: providers load on demand when the program registers a resource,
        # and nothing gets downloaded behind our back.
        return language_pb2.GetRequiredPackagesResponse()

    def RuntimeOptionsPrompts(
        self, request: language_pb2.RuntimeOptionsRequest, context: Any
    ) -> language_pb2.RuntimeOptionsResponse:
        return language_pb2.RuntimeOptionsResponse()

    def Cancel(self, request: empty_pb2.Empty, context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    # --- the program ------------------------------------------------------------------------

    def Run(self, request: language_pb2.RunRequest, context: Any) -> language_pb2.RunResponse:
        info = request.info if request.HasField("info") else None
        try:
            python, activation = resolve_interpreter(info)
        except InvalidVirtualenv as error:
            return language_pb2.RunResponse(error=str(error))
        extra = {
            "PULUMI_CONFIG": json.dumps(dict(request.config)),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(list(request.configSecretKeys)),
        }
        command = [
            python,
            "-u",
            str(PROGRAM_EXEC),
            *exec_arguments(request, self.engine_address, self.tracing),
        ]
        cwd = request.pwd or (info.program_directory if info is not None else "") or None
        sys.stdout.flush()
        try:
            # stdout/stderr are inherited: the engine reads ours and shows the program's output.
            process = subprocess.Popen(command, cwd=cwd, env=_child_env(activation, extra))
        except OSError as error:
            return language_pb2.RunResponse(
                error=f"problem executing program (could not run language executor): {error}"
            )
        # If the engine gives up on the call (cancellation), don't leave the program running.
        context.add_callback(lambda: _terminate(process))
        return run_response_for_exit(process.wait())

    # --- dependencies and about --------------------------------------------------------------

    def GetProgramDependencies(
        self, request: language_pb2.GetProgramDependenciesRequest, context: Any
    ) -> language_pb2.GetProgramDependenciesResponse:
        python, activation = resolve_interpreter(request.info if request.HasField("info") else None)
        listed = json.loads(_interpreter_query(python, _child_env(activation), _LIST_DISTRIBUTIONS))
        # All installed distributions, transitive or not: the venv is uv-managed, so there is
        # no cheap "top level only" view; the engine only displays this (`pulumi about`).
        return language_pb2.GetProgramDependenciesResponse(
            dependencies=[
                language_pb2.DependencyInfo(name=name, version=version) for name, version in listed
            ]
        )

    def InstallDependencies(
        self, request: language_pb2.InstallDependenciesRequest, context: Any
    ) -> Iterator[language_pb2.InstallDependenciesResponse]:
        python, _ = resolve_interpreter(request.info if request.HasField("info") else None)
        yield language_pb2.InstallDependenciesResponse(
            stdout=(f"Dependencies are managed by the repo (uv sync); using {python}\n").encode()
        )

    def About(self, request: language_pb2.AboutRequest, context: Any) -> language_pb2.AboutResponse:
        python, activation = resolve_interpreter(request.info if request.HasField("info") else None)
        version = _interpreter_query(
            python, _child_env(activation), "import platform; print(platform.python_version())"
        )
        return language_pb2.AboutResponse(executable=python, version=version)

    # --- plugins (policy packs, Python providers) -------------------------------------------

    def RunPlugin(
        self, request: language_pb2.RunPluginRequest, context: Any
    ) -> Iterator[language_pb2.RunPluginResponse]:
        info = request.info if request.HasField("info") else None
        directory = Path(info.program_directory if info is not None else request.program)
        try:
            python, activation = resolve_interpreter(info)
        except InvalidVirtualenv as error:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(error))
            return
        command = [python, "-u", *plugin_entry(directory), *request.args]
        engine_env = dict(item.split("=", 1) for item in request.env if "=" in item)
        process = subprocess.Popen(
            command,
            cwd=request.pwd or None,
            env=_child_env(activation, engine_env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        context.add_callback(lambda: _terminate(process))
        yield from _stream_process(process)


def plugin_entry(directory: Path) -> list[str]:
    """What to run for a plugin directory, as the Go host decides it."""
    if (directory / "__main__.py").exists():
        return [str(directory)]
    pyproject = directory / "pyproject.toml"
    if pyproject.exists():
        name = tomllib.loads(pyproject.read_text()).get("project", {}).get("name")
        if name:
            return ["-m", "pulumi.run.plugin", str(name)]
    # Let python produce its own clear error ("can't find '__main__' module").
    return [str(directory)]


def _stream_process(process: subprocess.Popen[bytes]) -> Iterator[language_pb2.RunPluginResponse]:
    """Forward a child's stdout/stderr as RunPluginResponse chunks, then its exit code.

    Chunks are forwarded as soon as they are read (not per line): the engine waits for the
    plugin's port on stdout, and the plugin never ends that line with a flush-and-exit.
    """
    chunks: list[tuple[str, bytes]] = []
    condition = threading.Condition()
    open_streams = 2

    def pump(kind: str, stream: Any) -> None:
        nonlocal open_streams
        fd = stream.fileno()
        while True:
            data = os.read(fd, _READ_CHUNK)
            with condition:
                if data:
                    chunks.append((kind, data))
                else:
                    open_streams -= 1
                condition.notify()
            if not data:
                return

    for kind, stream in (("stdout", process.stdout), ("stderr", process.stderr)):
        threading.Thread(target=pump, args=(kind, stream), daemon=True).start()
    while True:
        with condition:
            condition.wait_for(lambda: bool(chunks) or open_streams == 0)
            pending, chunks[:] = list(chunks), []
            finished = open_streams == 0
        for kind, data in pending:
            if kind == "stdout":
                yield language_pb2.RunPluginResponse(stdout=data)
            else:
                yield language_pb2.RunPluginResponse(stderr=data)
        if finished:
            break
    code = process.wait()
    if code != 0:
        # Like the Go host: only a failure carries an exit code; a clean end just closes.
        yield language_pb2.RunPluginResponse(exitcode=code if code > 0 else 128 - code)


def _terminate(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


_LIST_DISTRIBUTIONS = (
    "import json, importlib.metadata as m; "
    "print(json.dumps(sorted({d.metadata['Name']: d.version for d in m.distributions()}"
    ".items())))"
)


def _interpreter_query(python: str, env: Mapping[str, str], code: str) -> str:
    # Ask the program's interpreter (it may be another venv than ours); no pip needed, uv venvs
    # have none.
    result = subprocess.run(
        [python, "-c", code], env=dict(env), capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.strip()


def _watch_parent(parent: int, stop: threading.Event) -> None:
    # The engine normally stops us; if it dies first (SIGKILL, crash) we are re-parented and
    # must not linger with a gRPC server nobody will call.
    while not stop.wait(_WATCHDOG_SECONDS):
        if os.getppid() != parent:
            stop.set()


def serve(argv: Sequence[str]) -> None:
    args = parse_args(argv)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(
        LanguageHost(args.engine_address, args.tracing), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    # The engine stops plugins with SIGINT (then kills them): that is a normal shutdown, not an
    # error worth a KeyboardInterrupt traceback in the user's output.
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    # The engine reads exactly one line, our port, before it starts talking gRPC.
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    threading.Thread(target=_watch_parent, args=(os.getppid(), stop), daemon=True).start()
    stop.wait()
    server.stop(grace=1).wait()


if __name__ == "__main__":
    serve(sys.argv[1:])
