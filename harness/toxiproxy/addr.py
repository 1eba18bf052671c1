"""``host:port`` strings the way Go's ``net`` package writes and reads them."""
from __future__ import annotations

import socket


def split_host_port(address: str) -> tuple[str, int]:
    """``"127.0.0.1:80"`` / ``"[::1]:80"`` / ``"localhost:80"`` → (host, port); ValueError if bad."""
    host, sep, port_text = address.rpartition(":")
    if not sep:
        raise ValueError(f"address {address}: missing port in address")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"address {address}: invalid port") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"address {address}: invalid port")
    return host, port


def join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def bind_listener(address: str) -> socket.socket:
    """A listening socket for ``address`` (one address family only, port 0 = any free port).

    An empty host binds 127.0.0.1 (Toxiproxy would bind every interface; this harness stays on
    loopback). Raises OSError/ValueError with Go-like text, which the API turns into a 500.
    """
    host, port = split_host_port(address)
    host = host or "127.0.0.1"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise OSError(f"listen tcp {address}: lookup {host}: {exc.strerror}") from None
    infos.sort(key=lambda i: i[0] != socket.AF_INET)  # prefer IPv4, as Go does for "localhost"
    family, _, _, _, sockaddr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(512)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or str(exc)).lower()
        raise OSError(f"listen tcp {address}: bind: {reason}") from None
    return sock


def listener_address(sock: socket.socket) -> str:
    """The real ``host:port`` a listener got (what Toxiproxy reports as ``listen``)."""
    name = sock.getsockname()
    return join_host_port(name[0], name[1])
