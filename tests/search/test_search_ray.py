"""The search against a Ray head started as a separate process on loopback, stopped afterwards."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
RAY = Path(sys.executable).with_name("ray")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def ray_head(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`ray start --head --block` in its own process group; stopped by signalling that group only."""
    pytest.importorskip("ray", reason="ray is not installed (pip install 'flightml[search]')")
    port = free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}  # a loopback-only test cluster
    log_path = tmp_path / "ray_head.log"
    with open(log_path, "w") as log:
        head = subprocess.Popen(
            [
                str(RAY),
                "start",
                "--head",
                "--port",
                str(port),
                "--num-cpus",
                "1",
                "--node-ip-address",
                "127.0.0.1",
                "--include-dashboard=false",
                "--disable-usage-stats",
                "--block",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in log_path.read_text():
            assert head.poll() is None, f"ray start failed: {log_path.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "ray start did not come up in 120 s"
            time.sleep(0.5)
        yield f"127.0.0.1:{port}", env
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait(10)
        _forget_head(port)


def _forget_head(port: int) -> None:
    """Remove Ray's pointer to this head (ray stop would), so a later local ray.init does not look for it."""
    pointer = Path("/tmp/ray/ray_current_cluster")
    if pointer.is_file() and pointer.read_text().strip().endswith(f":{port}"):
        pointer.unlink()


def test_search_on_a_ray_head(
    ray_head: tuple[str, dict[str, str]], tmp_path: Path, tiny_space: Path, mission: Path
) -> None:
    address, env = ray_head
    out = tmp_path / "search"
    command = [
        str(Path(sys.executable).with_name("flightml")),
        "search",
        "--mission",
        str(mission),
        "--space",
        str(tiny_space),
        "--trials",
        "2",
        "--strategy",
        "random",
        "--ray-address",
        address,
        "--out",
        str(out),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads((out / "results.json").read_text())
    assert doc["executor"] == f"Ray at {address}" and doc["trials_run"] == 2
    assert doc["reference"]["int8_accuracy"] is not None
    for row in doc["rows"]:
        assert row["status"] == "ok" or row["reason"], row
    assert (out / "pareto.png").is_file() and (out / "search_report.md").is_file()
