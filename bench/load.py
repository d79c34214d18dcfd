"""HTTP throughput: gunicorn (2 sync workers) on a free loopback port, loaded by wrk for a fixed time.

The floor view and the care-plan page are loaded alternately, `passes` times each, so both see the same
noise. gunicorn runs with `--no-control-socket`: a second gunicorn (another benchmark, a test run) would
otherwise take over, then delete, the control socket in ~/.gunicorn.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

WRK_THREADS, WRK_CONNECTIONS, WARMUP_SECONDS = 2, 16, 3


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    non_2xx: int  # answers with a 4xx or 5xx status
    socket_errors: int  # connect, read and write errors, and timeouts (wrk waits 2 s for an answer)

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors


def parse_wrk(output: str) -> WrkResult:
    """Read wrk 4's summary (`--latency`)."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not rps:
        raise ValueError(f"wrk printed no Requests/sec:\n{output}")
    total = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=_latency(output, "50%"),
        p99_ms=_latency(output, "99%"),
        requests=int(total.group(1)) if total else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def _latency(output: str, percentile: str) -> float | None:
    match = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if not match:
        return None
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, cookie: str) -> int:
    """The status of one GET, redirects not followed (a redirect to the login page is a failure here)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        return connection.getresponse().status
    finally:
        connection.close()


def throughput(
    *, paths: dict[str, str], cookie: str, env: dict[str, str], seconds: int, passes: int, log: Path
) -> tuple[dict[str, list[WrkResult]], str]:
    """wrk results per path name, or ({}, why) when the load cannot be run here."""
    wrk = shutil.which("wrk")
    if not wrk:
        return {}, "wrk is not installed (apt-get install wrk)"
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        "--workers=2",
        "--worker-class=sync",
        "--no-control-socket",
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_until_serving(port, paths, cookie, server)
            results: dict[str, list[WrkResult]] = {name: [] for name in paths}
            for _ in range(passes):
                for name, path in paths.items():
                    url = f"http://127.0.0.1:{port}{path}"
                    _wrk(wrk, url, cookie, WARMUP_SECONDS)
                    results[name].append(parse_wrk(_wrk(wrk, url, cookie, seconds)))
            return results, ""
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_serving(port: int, paths: dict[str, str], cookie: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}; see its log")
        try:
            statuses = {path: _get(port, path, cookie) for path in paths.values()}
        except OSError:
            statuses = {}
        if statuses and all(status == 200 for status in statuses.values()):
            return
        if statuses and any(status != 200 for status in statuses.values()):
            raise RuntimeError(f"gunicorn answered {statuses}, not 200 everywhere")
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not answer within 60 s")
        time.sleep(0.25)


def _wrk(wrk: str, url: str, cookie: str, seconds: int) -> str:
    command = [
        wrk,
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Cookie: {cookie}",
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, check=True, env=os.environ.copy()).stdout


def median_rps(results: list[WrkResult]) -> float:
    return statistics.median(result.requests_per_second for result in results)
