"""What screening adds to call set-up on the real SIP path, with and without it in one run.

    .venv/bin/python benchmarks/bench_sip.py [--rate 200] [--seconds 15] [--rounds 2] [--db URL]

SIPp places calls at ``--rate`` calls a second through Kamailio (the shipped edge
configuration, ``callwarden.edge``) to a SIPp answering as the agents' queue. Call set-up is
SIPp's response time from the INVITE to the 200 OK, per call. The same Kamailio runs every
phase; screening is switched on (an HTTP question to ``callwarden serve`` per INVITE, the
decision logged) and off (``kamcmd cfg.seti callwarden screening 0``: straight to the agents)
between phases, alternating, ``--rounds`` times each.

The hotline's policy blocks fraud marks and challenges marketing marks; the callers are 5,000
numbers, one in ten on the allow list, the rest unknown, so every call is answered in both
modes and the two take the same SIP path. 10,000 other numbers carry marks.

Besides the set-up times: calls that went on unscreened because no answer came within the
screening budget (500 ms from the INVITE, fail-open), the CPU the decision service and
Kamailio used per phase, the question alone (one at a time, as a Kamailio worker asks it),
and the questions alone at the same rate over as many connections as Kamailio keeps (no SIP):
where the set-up time goes when screening adds more than the question costs.

Needs kamailio and sipp (``make sip``). The decision service's database is a SQLite file unless
``--db`` names an empty one (``postgresql+psycopg://postgres@127.0.0.1:5432/bench_sip``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from callwarden.cases.db import open_database
from callwarden.edge import EdgeProxy, EdgeSettings, Peer, free_udp_port, place_calls
from callwarden.edge.kamailio_screen import DecisionClient
from callwarden.edge.sipp import Call, CallRun
from callwarden.screen.hotlines import add_hotline, install_policy

HOTLINE = "4001234567"


def _policy(allowed: list[str]) -> str:
    listed = ", ".join(f'"{n}"' for n in allowed)
    return f"""\
name = "bench"
allow = [{listed}]
[[bands]]
categories = ["fraud", "one_ring"]
action = "block"
[[bands]]
categories = ["marketing"]
action = "challenge"
[challenge]
code = "2468"
"""


def _numbers(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:08d}" for i in range(n)]


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "callwarden", *args], check=True, capture_output=True, timeout=600
    )


def _cpu_s(root: int) -> float:
    """CPU seconds used so far by process ``root`` and its children (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if root in (pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _failed_open(log: Path) -> int:
    """Calls the proxy sent on unscreened so far (no answer in time): its log's warnings."""
    return log.read_text(errors="replace").count("gave no answer")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _row(
    mode: str, runs: list[CallRun], cpu: dict[str, float], seconds: float, opened: int
) -> dict[str, float]:
    times = [t for r in runs for t in r.setup_ms]
    calls = sum(r.successful + r.failed for r in runs)
    failed = sum(r.failed for r in runs)
    row = {
        "calls": calls,
        "failed": failed,
        "failed_open": opened,
        "p50_ms": _percentile(times, 0.50),
        "p90_ms": _percentile(times, 0.90),
        "p99_ms": _percentile(times, 0.99),
        "mean_ms": statistics.fmean(times),
        "api_cpu_pct": 100 * cpu["api"] / seconds,
        "kamailio_cpu_pct": 100 * cpu["kamailio"] / seconds,
    }
    print(
        f"| {mode} | {calls:,} | {failed:,} | {opened:,} | {row['p50_ms']:.0f} | "
        f"{row['p90_ms']:.0f} | "
        f"{row['p99_ms']:.0f} | {row['mean_ms']:.2f} | {row['api_cpu_pct']:.0f}% | "
        f"{row['kamailio_cpu_pct']:.0f}% |"
    )
    return row


#: Kamailio's screening workers (CALLWARDEN_SCREEN_WORKERS), each with its connection
WORKERS = 8


def _paced_questions(
    url: str, token: str, callers: list[str], rate: float, seconds: float
) -> list[float]:
    """Questions at ``rate`` a second for ``seconds``, over WORKERS connections as Kamailio's
    workers ask them; each one's time from when it was due to its answer, in ms."""
    due: queue.Queue[tuple[float, str] | None] = queue.Queue()
    times: list[float] = []

    def work() -> None:
        client = DecisionClient(url, token, 5000)
        while (item := due.get()) is not None:
            client.ask(item[1], HOTLINE, "")
            times.append((time.perf_counter() - item[0]) * 1000)

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        at = start + i / rate
        while (left := at - time.perf_counter()) > 0:
            time.sleep(min(left, 0.001))
        due.put((at, callers[i % len(callers)]))
    for _ in threads:
        due.put(None)
    for t in threads:
        t.join()
    return times


def main() -> None:  # noqa: PLR0915  (one straight script: set up, alternate, report)
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200.0, help="calls per second")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=2, help="off/on phase pairs")
    parser.add_argument("--db", default=None, help="database URL (default: a SQLite file)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run every process of the run at this niceness (-10: ahead of other work on a "
        "shared machine, as on a host of its own; needs root)",
    )
    args = parser.parse_args()
    if args.nice:
        os.nice(args.nice)  # inherited by the decision service, Kamailio and SIPp

    work = Path(tempfile.mkdtemp(prefix="bench-sip-"))
    db_url = args.db or f"sqlite:///{work / 'cases.db'}"
    callers = _numbers("158", 5000)
    allowed = callers[::10]
    marked = work / "marks.csv"
    with marked.open("w", encoding="utf-8") as f:
        f.write("msisdn,category\n")
        for i, number in enumerate(_numbers("139", 10_000)):
            f.write(f"{number},{'fraud' if i % 2 else 'marketing'}\n")
    _cli("marks", "import", str(marked), "--db", db_url)
    db = open_database(db_url)
    now = datetime.now(UTC)
    with db.sessions.begin() as s:
        token = add_hotline(s, "bench", HOTLINE, now)
        install_policy(s, "bench", _policy(allowed), now, "bench")
    db.engine.dispose()

    port = _free_tcp_port()
    base = f"http://127.0.0.1:{port}"
    log = (work / "serve.log").open("wb")
    api = subprocess.Popen(
        [sys.executable, "-m", "callwarden", "serve", "--port", str(port), "--db", db_url],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)
        agents_port = free_udp_port("127.0.0.2")
        settings = EdgeSettings(
            listen=f"udp:127.0.0.1:{free_udp_port()}",
            screen_url=f"{base}/api/v1/screen",
            token=token,
            agents=f"127.0.0.2:{agents_port}",
            ivr=f"127.0.0.3:{free_udp_port('127.0.0.3')}",
            control=f"unix:{work / 'kamailio.ctl'}",
        )
        calls = [Call(c, HOTLINE) for c in callers]
        per_phase = int(args.rate * args.seconds)
        runs: dict[str, list[CallRun]] = {"off": [], "on": []}
        cpu = {mode: {"api": 0.0, "kamailio": 0.0} for mode in runs}
        took = dict.fromkeys(runs, 0.0)
        opened = dict.fromkeys(runs, 0)
        load_before = os.getloadavg()[0]
        with (
            Peer("agents", "127.0.0.2", agents_port, work, trace=False),
            EdgeProxy(settings, work / "kamailio") as proxy,
        ):
            # warm-up: the decision service loads the marks on its first call
            place_calls(settings.address, calls[:200], rate=50, workdir=work / "warmup")
            for r in range(args.rounds):
                for mode in ("off", "on"):
                    proxy.screening(mode == "on")
                    start = (r * 2 + (mode == "on")) * per_phase % len(calls)
                    phase = calls[start:] + calls[:start]
                    kamailio = proxy.pid
                    before = (_cpu_s(api.pid), _cpu_s(kamailio), time.monotonic())
                    unanswered = _failed_open(proxy.log)
                    runs[mode].append(
                        place_calls(
                            settings.address,
                            phase,
                            rate=args.rate,
                            max_calls=per_phase,
                            timeout_s=30,
                            workdir=work / f"{mode}{r}",
                        )
                    )
                    cpu[mode]["api"] += _cpu_s(api.pid) - before[0]
                    cpu[mode]["kamailio"] += _cpu_s(kamailio) - before[1]
                    took[mode] += time.monotonic() - before[2]
                    opened[mode] += _failed_open(proxy.log) - unanswered
        # the question alone, as Kamailio's workers ask it, one at a time
        client = DecisionClient(settings.screen_url, token, 5000)
        before_api = _cpu_s(api.pid)
        alone = []
        for c in callers[:2000]:
            started = time.perf_counter()
            client.ask(c, HOTLINE, "")
            alone.append((time.perf_counter() - started) * 1000)
        alone_cpu_ms = 1000 * (_cpu_s(api.pid) - before_api) / len(alone)
        paced = _paced_questions(settings.screen_url, token, callers, args.rate, args.seconds)
    finally:
        api.terminate()
        api.wait(20)
        log.close()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, decision database {db_url.split(':', 1)[0]}; "
        f"{args.rate:.0f} calls/s, {args.rounds} x {args.seconds:.0f} s per mode, "
        f"niceness {os.nice(0)}; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    print(
        "| screening | calls | failed | unscreened | set-up p50 ms | p90 ms | p99 ms | mean ms "
        "| API CPU | Kamailio CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    off = _row("off", runs["off"], cpu["off"], took["off"], 0)
    on = _row("on", runs["on"], cpu["on"], took["on"], opened["on"])
    added = {k: on[k] - off[k] for k in ("p50_ms", "p90_ms", "p99_ms", "mean_ms")}
    print(
        f"screening adds: p50 {added['p50_ms']:+.0f} ms, p99 {added['p99_ms']:+.0f} ms, "
        f"mean {added['mean_ms']:+.2f} ms (target: <= 10 ms)"
    )
    print(
        f"the question alone ({len(alone):,}, one at a time, kept-open connection): "
        f"p50 {_percentile(alone, 0.5):.2f} ms, p99 {_percentile(alone, 0.99):.2f} ms; "
        f"decision service CPU {alone_cpu_ms:.2f} ms per question"
    )
    print(
        f"the questions alone at {args.rate:.0f}/s over {WORKERS} kept-open connections (no SIP, "
        f"{len(paced):,}): p50 {_percentile(paced, 0.5):.1f} ms, p90 "
        f"{_percentile(paced, 0.9):.1f} ms, p99 {_percentile(paced, 0.99):.1f} ms"
    )
    if args.json:
        args.json.write_text(json.dumps({"off": off, "on": on, "added": added}, indent=2))


if __name__ == "__main__":
    main()
