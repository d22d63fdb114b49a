"""Kamailio running the shipped edge-proxy configuration (``callwarden-edge.cfg``).

The configuration reads its settings from the environment (docs/sip.md lists them);
:class:`EdgeSettings` is that list, typed, and :class:`EdgeProxy` runs one Kamailio in the
foreground with them, checks the configuration first, and switches screening on and off at run
time over the control socket (``kamcmd cfg.seti callwarden screening 0|1``).

>>> s = EdgeSettings(listen="udp:127.0.0.1:5060", screen_url="http://127.0.0.1:8000/api/v1/screen",
...                  token="t0k", agents="127.0.0.2:5060", ivr="127.0.0.3:5060",
...                  control="unix:/tmp/cw.ctl")
>>> s.environment()["CALLWARDEN_AGENTS"], s.environment()["CALLWARDEN_SCREEN_TIMEOUT_MS"]
('127.0.0.2:5060', '500')
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from callwarden.edge.process import ChildProcess
from callwarden.errors import EdgeError

__all__ = ["CONFIG", "PACKAGES", "SCRIPT", "EdgeProxy", "EdgeSettings", "free_udp_port", "require"]

#: the edge proxy's Kamailio configuration, shipped with the package
CONFIG = Path(__file__).with_name("callwarden-edge.cfg")
#: the question to the decision service, which Kamailio's app_python3 runs
SCRIPT = Path(__file__).with_name("kamailio_screen.py")
#: the Debian packages the SIP path needs (``make sip`` installs them)
PACKAGES = "kamailio kamailio-python3-modules sip-tester"


def require(program: str) -> str:
    """The path of ``program`` (``kamailio``, ``kamcmd``, ``sipp``), or an :class:`EdgeError`
    that says what to install."""
    found = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
    if found is None:
        raise EdgeError(
            f"{program} is not installed: run `make sip` or `apt-get install -y {PACKAGES}`"
        )
    return found


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class EdgeSettings:
    """Where the edge proxy listens, whom it asks, and where it sends calls."""

    #: the SIP socket, ``udp:IP:PORT``
    listen: str
    #: the decision service, ``http://host:port/api/v1/screen``
    screen_url: str
    #: the hotline's Bearer token (``callwarden hotline add`` prints it)
    token: str
    #: ``host:port`` of the agents' queue (the ACD) and of the IVR
    agents: str
    ivr: str
    #: the control socket for kamcmd, ``unix:/path``
    control: str
    #: the address the IVR sends from when it hands a caller back (default: the IVR's host)
    ivr_source: str = ""
    default_queue: str = "agents"
    #: the screening budget from the INVITE's arrival (waiting for a worker, then each step of
    #: the question); past it the call goes to the agents unscreened
    timeout_ms: int = 500
    children: int = 4
    workers: int = 8

    def environment(self) -> dict[str, str]:
        """The variables the configuration reads."""
        env = {
            "CALLWARDEN_SIP_LISTEN": self.listen,
            "CALLWARDEN_SCREEN_SCRIPT": str(SCRIPT),
            "CALLWARDEN_SCREEN_URL": self.screen_url,
            "CALLWARDEN_HOTLINE_TOKEN": self.token,
            "CALLWARDEN_AGENTS": self.agents,
            "CALLWARDEN_IVR": self.ivr,
            "CALLWARDEN_SIP_CTL": self.control,
            "CALLWARDEN_DEFAULT_QUEUE": self.default_queue,
            "CALLWARDEN_SCREEN_TIMEOUT_MS": str(self.timeout_ms),
            "CALLWARDEN_SIP_CHILDREN": str(self.children),
            "CALLWARDEN_SCREEN_WORKERS": str(self.workers),
        }
        if self.ivr_source:
            env["CALLWARDEN_IVR_SOURCE"] = self.ivr_source
        return env

    @property
    def address(self) -> str:
        """``IP:PORT`` to send calls to."""
        return self.listen.split(":", 1)[1]


class EdgeProxy(ChildProcess):
    """One Kamailio with the edge configuration, in the foreground; a context manager.

    ``workdir`` holds its run files and its log (``kamailio.log``, read it when a call goes
    astray).
    """

    def __init__(self, settings: EdgeSettings, workdir: Path, config: Path = CONFIG) -> None:
        self.settings = settings
        self.workdir = workdir
        self.config = config
        self.log = workdir / "kamailio.log"

    def _env(self) -> dict[str, str]:
        return {**os.environ, **self.settings.environment()}

    #: Kamailio's children end first: give it longer than a SIPp
    stop_wait_s = 15.0

    @property
    def pid(self) -> int:
        """The main Kamailio process (its workers are its children)."""
        if self._process is None:
            raise EdgeError("the edge proxy is not running")
        return self._process.pid

    def check(self) -> None:
        """``kamailio -c``: the configuration parses and every module loads."""
        done = subprocess.run(  # noqa: S603  (fixed program, arguments are ours)
            [require("kamailio"), "-c", "-f", str(self.config)],
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if done.returncode != 0:
            lines = [ln for ln in (done.stdout + done.stderr).splitlines() if "ERROR" in ln]
            raise EdgeError(f"{self.config}: Kamailio rejects the configuration: {lines[-3:]}")

    def start(self, wait_s: float = 20.0) -> None:
        """Start Kamailio and wait until its control socket answers."""
        self.check()
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            process = self._launch(
                [
                    require("kamailio"),
                    "-f", str(self.config),
                    "-DD", "-E",  # foreground, log to stderr (the log file)
                    "-Y", str(self.workdir),
                    "-P", str(self.workdir / "kamailio.pid"),
                ],
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + wait_s
        while True:
            if process.poll() is not None:
                raise EdgeError(f"Kamailio exited at start (code {process.returncode}); "
                                f"see {self.log}")  # fmt: skip
            if self.rpc("core.uptime", check=False) == 0:
                return
            if time.monotonic() > deadline:
                self.stop()
                raise EdgeError(
                    f"Kamailio did not answer on {self.settings.control}; see {self.log}"
                )
            time.sleep(0.1)

    def rpc(self, *command: str, check: bool = True) -> int:
        """Run one RPC command through kamcmd; its exit status."""
        done = subprocess.run(  # noqa: S603
            [require("kamcmd"), "-s", self.settings.control, *command],
            capture_output=True,
            check=False,
            timeout=10,
        )
        if check and done.returncode != 0:
            raise EdgeError(f"kamcmd {' '.join(command)} failed: {done.stderr.decode()[-300:]}")
        return done.returncode

    def screening(self, on: bool) -> None:
        """Switch screening on (ask the decision service) or off (every call to the agents)."""
        self.rpc("cfg.seti", "callwarden", "screening", "1" if on else "0")
