"""Hypercorn's configuration for the daemon: where it listens, and how long it keeps a
connection that has stopped making progress.

Three kinds of stalled connection, three bounds (`[connections]` in stax.toml):
no request in progress — including a request head that never completes — is Hypercorn's
keep-alive timeout; a body that never completes is runner/api/whole_body.py's deadline;
a peer that vanished without closing (a half-open connection: our bytes are never
acknowledged) is the kernel's TCP_USER_TIMEOUT, set on the listening socket so every
accepted connection inherits it. A stream's own writes are bounded by its StreamWatch.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING

from hypercorn.config import Config, Sockets

from runner.errors import ConfigError

if TYPE_CHECKING:
    from runner.config import Settings


class _Config(Config):
    unacknowledged_timeout_ms = 0

    def create_sockets(self) -> Sockets:
        try:
            sockets = super().create_sockets()
        except OSError as exc:  # a port taken, or one this user may not bind
            where = ", ".join(self.bind)
            raise ConfigError(
                f"cannot listen on {where}: {exc.strerror} (another daemon? choose `port` "
                "in stax.toml or `stax serve --port`)"
            ) from None
        if self.unacknowledged_timeout_ms and hasattr(socket, "TCP_USER_TIMEOUT"):
            for sock in sockets.insecure_sockets:
                sock.setsockopt(
                    socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, self.unacknowledged_timeout_ms
                )
        return sockets


def hypercorn_config(settings: Settings) -> Config:
    config = _Config()
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    config.bind = [f"{host}:{settings.port}"]
    config.graceful_timeout = 2.0
    config.keep_alive_timeout = settings.connections.idle_timeout_seconds
    # The kernel takes milliseconds in an unsigned int: at least 1 (0 would mean "off").
    config.unacknowledged_timeout_ms = min(
        max(1, round(settings.connections.unacknowledged_timeout_seconds * 1000)), 2**31 - 1
    )
    config.accesslog = None
    config.errorlog = logging.getLogger("stax.http")
    config.include_server_header = False
    return config
