"""`make sqlmap`: SQL-injection scan of the public inputs with sqlmap (scorecard #15).

Starts the app (gunicorn) on 127.0.0.1 with a throwaway SQLite database and the demo data,
runs sqlmap against the track form, the guide search, the wall's filters and the request
status page, stops the app and fails when sqlmap reports an injectable parameter.  Rate
limits are off for the scan (they would stop sqlmap long before it is done).  Not part of
`make test`: it takes minutes and needs sqlmap (the Makefile installs it into the venv).

    python tests/sqlmap_scan.py [--port 5077] [--timeout 180] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess  # nosec B404 - runs our own server and sqlmap with fixed arguments
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FOUND = re.compile(r"is vulnerable|appears to be injectable|identified the following injection point|sqlmap resumed the following injection point")
COMMON = ["--batch", "--level", "3", "--risk", "1", "--flush-session", "--time-sec", "2", "--disable-coloring"]
THREADS = ["--threads", "2"]  # sqlmap refuses --threads with --csrf-token


def _run(cmd: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, text=True, **kwargs)  # nosec B603


def _wait(url: str, seconds: int = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # nosec B310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the app did not answer at {url}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--timeout", type=int, default=180, help="seconds per target")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (sqlmap's output)")
    parser.add_argument("--only", action="append", help="scan only this target (repeatable): track, guide, wall, status")
    args = parser.parse_args()
    sqlmap = shutil.which("sqlmap", path=str(BIN)) or shutil.which("sqlmap")
    if not sqlmap:
        print("sqlmap is not installed: make sqlmap installs it into the venv", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="loushi-sqlmap-"))
    env = dict(os.environ, LOUSHI_ENV="development", LOUSHI_INSTANCE=str(work / "instance"),
               DATABASE_URL=f"sqlite:///{work / 'scan.sqlite3'}", RATELIMIT_ENABLED="0", MAIL_SERVER="", REDIS_URL="")
    env.pop("TEST_DATABASE_URL", None)
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    _run(flask + ["db", "upgrade"], env)
    _run(flask + ["seed-demo", "--password", "sqlmap-scan-password-4321"], env)
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(  # nosec B603
        [str(BIN / "gunicorn"), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{args.port}", "wsgi:app"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "w"),  # noqa: SIM115
    )
    findings: list[str] = []
    try:
        _wait(f"{base}/healthz")
        html = urllib.request.urlopen(f"{base}/en/boards/shanghai-tower", timeout=10).read().decode()  # nosec B310
        number = "LS-%s-000001" % time.strftime("%Y")
        targets = {
            "track form": [f"{base}/en/track", "--data", f"csrf_token=x&tracking_no={number}&code=ABCD-EFGH",
                           "--csrf-token", "csrf_token", "-p", "tracking_no,code"],
            "guide search": [f"{base}/en/guide/?q=fire&dept=fire&category=business&audience=both"],
            "wall filters": [f"{base}/en/wall/?building=shanghai-tower&sort=new"],
            "status page": [f"{base}/en/requests/{number}?code=ABCD-EFGH"],
            "status path": [f"{base}/en/requests/{number}*"],
        }
        assert "shanghai-tower" in html
        for name, target in targets.items():
            if args.only and not any(name.startswith(o) for o in args.only):
                continue
            out = work / name.replace(" ", "-")
            cmd = [sqlmap, "-u", *target, *COMMON, *([] if "--csrf-token" in target else THREADS), "--output-dir", str(out)]
            started = time.time()
            try:
                result = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=args.timeout, check=False)  # nosec B603
                log = result.stdout + result.stderr
                ended = f"finished in {time.time() - started:.0f} s"
            except subprocess.TimeoutExpired as exc:
                log = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
                ended = f"stopped after {args.timeout} s (time box)"
            (work / f"{name.replace(' ', '-')}.log").write_text(log, encoding="utf-8")
            hits = [line for line in log.splitlines() if FOUND.search(line)]
            tested = len(re.findall(r"testing '", log))
            verdict = "INJECTABLE" if hits else "nothing injectable"
            print(f"{name:15} {verdict:20} {tested:4} tests, {ended}")
            for line in hits:
                print("   ", line)
            findings += [f"{name}: {line}" for line in hits]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        if args.keep:
            print(f"sqlmap output kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if findings:
        print(f"sqlmap: {len(findings)} finding(s)")
        return 1
    print("sqlmap: no injectable parameter found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
