"""The README's "Using it" runs as written, on a small simulated city (fewer subscribers, one
day). `serve` is left out (it runs until stopped); replay and stream run against the NATS at
127.0.0.1:4222 on a stream of their own, `replay` as fast as it can and `stream` until idle."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import nats

README = Path(__file__).parents[1] / "README.md"


def using_it() -> list[list[str]]:
    """The commands of the README's "Using it" block, comments dropped."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## Using it\n\n```sh\n(.*?)```", text, re.S)
    assert block, "README.md has no 'Using it' shell block"
    return [shlex.split(line, comments=True) for line in block[1].splitlines() if line.strip()]


def _nats_up() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 4222)) == 0


def small(argv: list[str], tag: str) -> list[str] | None:
    """The command as the test runs it: a small city, a stream of its own; None: left out."""
    assert argv[0] == "callwarden", argv
    args = argv[1:]
    if args[:1] == ["serve"]:
        return None
    if args[:1] == ["simulate"]:
        args = [{"100000": "1000", "2": "1"}.get(a, a) for a in args]
    if args[:1] in (["replay"], ["stream"]):
        if not _nats_up():
            return None
        args += ["--stream", f"README_{tag}", "--subject-prefix", f"readme{tag}"]
        args = ["max" if a == "10x" else a for a in args]
        if args[0] == "stream":
            args += ["--idle-exit", "2", "--checkpoint", "ckpt"]
    return args


def test_the_commands_are_found() -> None:
    names = {tuple(argv[1:2]) for argv in using_it()}
    assert {("simulate",), ("score",), ("evaluate",), ("cases",), ("stream",)} <= names


def _drop_streams(tag: str) -> None:
    async def drop() -> None:
        nc = await nats.connect("nats://127.0.0.1:4222")
        js = nc.jetstream()
        for name in (f"README_{tag}", f"README_{tag}_ALERTS"):
            with contextlib.suppress(Exception):
                await js.delete_stream(name)
        await nc.close()

    if _nats_up():
        asyncio.run(drop())


def test_using_it_runs_as_written(tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    try:
        ran = _run_all(tmp_path, tag)
    finally:
        _drop_streams(tag)
    assert (tmp_path / "alerts.report.html").exists()
    assert (tmp_path / "alerts.evaluation.report.html").exists()
    assert (tmp_path / "outcomes.parquet").exists()
    assert ran.count("score") == 2


def _run_all(tmp_path: Path, tag: str) -> list[str]:
    ran = []
    for argv in using_it():
        args = small(argv, tag)
        if args is None:
            continue
        done = subprocess.run(
            [sys.executable, "-m", "callwarden", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"},
            check=False,
        )
        assert done.returncode == 0, f"{shlex.join(argv)}:\n{done.stdout}\n{done.stderr}"
        ran.append(args[0])
    return ran
