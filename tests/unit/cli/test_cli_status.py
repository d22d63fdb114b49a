"""Long work says where it stands: replay's and stream's status lines (stderr not a terminal),
and stream's one line when nothing arrives on its subjects. Needs NATS at 127.0.0.1:4222."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
import typer

from callwarden.cli.app import app
from callwarden.cli.exits import run

SERVER = "nats://127.0.0.1:4222"
COMMAND = typer.main.get_command(app)


def _nats_up() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 4222)) == 0


pytestmark = pytest.mark.skipif(not _nats_up(), reason="needs nats-server -js on 127.0.0.1:4222")


@pytest.fixture
def names() -> Iterator[tuple[str, str]]:
    """A stream name and subject prefix of this test's own; the streams go afterwards."""
    tag = uuid.uuid4().hex[:8]
    yield f"CWSTATUS_{tag}", f"cwstatus{tag}"

    async def drop() -> None:
        nc = await nats.connect(SERVER)
        js = nc.jetstream()
        for info in await js.streams_info():
            if tag in str(info.config.name):
                with contextlib.suppress(Exception):
                    await js.delete_stream(str(info.config.name))
        await nc.close()

    asyncio.run(drop())


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("status") / "city"
    assert (
        run(COMMAND, ["simulate", "--subscribers", "1000", "--seed", "2", "--out", str(out)]) == 0
    )
    return out


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = run(COMMAND, list(argv))
    return code, capsys.readouterr().err


def test_replay_and_stream_print_status_lines(
    city: Path, names: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stream, prefix = names
    broker = ["--server", SERVER, "--stream", stream, "--subject-prefix", prefix]
    code, err = cli(capsys, "replay", str(city), *broker, "--status-every", "0")
    assert code == 0, err
    assert "replay: 2,000 of " in err and " records, " in err and "/s" in err
    code, err = cli(capsys, "stream", *broker, "--subscribers", str(city), "--idle-exit", "1",
                    "--checkpoint", str(tmp_path / "ckpt"), "--status-every", "0")  # fmt: skip
    assert code == 0, err
    last = [line for line in err.splitlines() if line.startswith("stream: ")][-1]
    assert "lag 0 msgs" in last and "newest event" in last
    assert " alerts, " in last and " quarantined" in last
    assert "nothing published" not in err


def test_stream_says_when_nothing_is_published_on_its_subjects(
    city: Path, names: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stream, prefix = names
    code, err = cli(capsys, "replay", str(city / "calls"), "--server", SERVER,
                    "--stream", stream, "--subject-prefix", prefix)  # fmt: skip
    assert code == 0, err
    code, err = cli(capsys, "stream", "--server", SERVER, "--stream", f"{stream}_other",
                    "--subject-prefix", f"{prefix}x", "--no-subscribers", "--idle-exit", "0.5",
                    "--checkpoint", str(tmp_path / "ckpt"))  # fmt: skip
    assert code == 0, err
    (note,) = [line for line in err.splitlines() if line.startswith("note: ")]
    assert f"nothing published on {prefix}x.records.*.p0 in stream {stream}_other" in note
    assert f"records are in {stream} ({prefix}.records.>" in note


def test_a_stream_name_or_prefix_that_is_not_the_publishers_is_one_line(
    city: Path, names: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stream, prefix = names
    ckpt = ["--checkpoint", str(tmp_path / "ckpt"), "--no-subscribers", "--idle-exit", "0.5"]
    code, err = cli(capsys, "replay", str(city / "calls"), "--server", SERVER,
                    "--stream", stream, "--subject-prefix", prefix)  # fmt: skip
    assert code == 0, err
    # the right prefix in a stream of another name: the subjects are the publisher's stream's
    code, err = cli(capsys, "stream", "--server", SERVER, "--stream", f"{stream}_typo",
                    "--subject-prefix", prefix, *ckpt)  # fmt: skip
    assert code == 2
    assert f"--stream {stream}_typo: no such stream" in err and f"give --stream {stream}," in err
    # the right stream with another prefix
    code, err = cli(capsys, "stream", "--server", SERVER, "--stream", stream,
                    "--subject-prefix", f"{prefix}typo", *ckpt)  # fmt: skip
    assert code == 2
    assert f"stream {stream} holds {prefix}.records.>" in err
