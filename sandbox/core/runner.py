"""TLS material and the uvicorn server thread."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def ensure_tls(state_dir: Path) -> TlsFiles:
    """A local CA and a server certificate for localhost/127.0.0.1, kept across restarts so the
    CA bundle a client already points at stays valid."""
    files = TlsFiles(state_dir / "ca.pem", state_dir / "server.pem", state_dir / "server.key")
    if all(p.exists() for p in (files.ca, files.cert, files.key)):
        return files
    import trustme

    ca = trustme.CA(organization_name="ragstack sandbox")
    cert = ca.issue_cert("localhost", "127.0.0.1", "::1")
    ca.cert_pem.write_to_path(str(files.ca))
    cert.private_key_pem.write_to_path(str(files.key))
    files.key.chmod(0o600)
    with files.cert.open("wb") as fh:
        for blob in cert.cert_chain_pems:
            fh.write(blob.bytes())
    return files


class ServerThread:
    """uvicorn serving `app` over HTTPS on 127.0.0.1 from a background thread."""

    def __init__(self, app: ASGIApp, tls: TlsFiles, port: int = 0) -> None:
        import uvicorn

        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so; without it
        # every keep-alive response waits ~40 ms for the client's delayed ACK (Nagle).
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            ssl_certfile=str(tls.cert),
            ssl_keyfile=str(tls.key),
            http="h11",
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = _PromptServer(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            daemon=True,
            name=f"sandbox-{self.port}",
        )

    def start(self, timeout: float = 15.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("sandbox server failed to start")
            time.sleep(0.01)

    def stop(self) -> None:
        # force_exit: idle keep-alive TLS connections would otherwise hold shutdown for the
        # graceful timeout (the client never answers the TLS close).
        self._server.should_exit = True
        self._server.force_exit = True
        self._server.wake()
        self._thread.join(10)
        self._sock.close()

    def wait(self) -> None:
        self._thread.join()


class _PromptServer(uvicorn.Server):
    """uvicorn notices `should_exit` only on its 0.1 s tick; tests start and stop a sandbox per
    test, so stop() wakes the loop instead (the tick still runs each second for the Date header).
    """

    _wake_event: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake_event = asyncio.Event()
        while not self.should_exit:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake_event.wait(), 1.0)
            if await self.on_tick(0):
                break

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """A forced stop closes at once: uvicorn's shutdown (0.54) always pauses 0.1 s for open
        connections to finish their responses, which a forced stop then does not wait for anyway
        (a tenth of a second per test sandbox). Open connections are closed, running requests
        cancelled, as uvicorn does after its graceful timeout."""
        if not self.force_exit:
            await super().shutdown(sockets)
            return
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        for task in list(self.server_state.tasks):
            task.cancel()
        await asyncio.sleep(0)  # let the transports close before the loop ends

    def wake(self) -> None:
        if self._loop is not None and self._wake_event is not None:
            self._loop.call_soon_threadsafe(self._wake_event.set)
