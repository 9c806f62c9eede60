"""Run the sandbox in the foreground: `python -m sandbox.server --state-dir DIR`.

Writes `sandbox.json` (the connection plus pid and start time) into the state dir once the
server answers, removes it on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from pathlib import Path

from sandbox.constants import CONNECTION_FILE
from sandbox.control import default_state_dir, remember_port


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.server")
    parser.add_argument("--state-dir", type=Path, default=default_state_dir())
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--no-throttling", action="store_true")
    parser.add_argument("--principal-replication-delay", type=float, default=0.0)
    parser.add_argument("--role-propagation-delay", type=float, default=300.0)
    args = parser.parse_args(argv)

    from sandbox.sandbox import Sandbox

    sandbox = Sandbox(
        args.state_dir,
        time_scale=args.time_scale,
        throttling=not args.no_throttling,
        page_size=args.page_size,
        principal_replication_delay=args.principal_replication_delay,
        role_propagation_delay=args.role_propagation_delay,
        port=args.port,
    )
    conn = sandbox.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    remember_port(args.state_dir, int(conn.endpoint.rsplit(":", 1)[1]))
    info = args.state_dir / CONNECTION_FILE
    conn.save(info, pid=os.getpid(), started_at=time.time(), time_scale=args.time_scale)
    print(f"sandbox listening on {conn.endpoint} (CA {conn.ca_path})", flush=True)
    try:
        stop.wait()
    finally:
        sandbox.stop()
        info.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
