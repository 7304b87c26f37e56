"""A small WebSocket client (RFC 6455) for the terminal's tests: the
standard library only, frames masked as a client must, messages read
whole."""
import base64
import hashlib
import os
import socket
import struct

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class HandshakeError(Exception):
    def __init__(self, status, head):
        super().__init__(f"upgrade refused: {status}")
        self.status = status
        self.head = head


class WebSocket:
    def __init__(self, port, path, headers=None, key=None, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.key = key or base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
                 "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {self.key}", "Sec-WebSocket-Version: 13"]
        for k, v in (headers or {}).items():
            lines = [line for line in lines if not line.startswith(k + ":")]
            if v is not None:
                lines.append(f"{k}: {v}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                break
            self.buf += data
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        first = head.split(b"\r\n")[0].decode()
        status = int(first.split()[1]) if len(first.split()) > 1 else 0
        if status != 101:
            # the error's body, for the test to read
            self.body = self.buf
            self.sock.settimeout(2)
            try:
                while True:
                    data = self.sock.recv(4096)
                    if not data:
                        break
                    self.body += data
            except OSError:
                pass
            self.sock.close()
            raise HandshakeError(status, head.decode() + "\r\n\r\n" +
                                 self.body.decode(errors="replace"))
        accept = base64.b64encode(hashlib.sha1((self.key + GUID).encode()).digest())
        assert accept.decode() in head.decode(), head
        self.closed = None  # the close code, once one came

    def send(self, data, opcode=None):
        if isinstance(data, str):
            data, opcode = data.encode(), opcode or 1
        self.send_frame(opcode or 2, data)

    def send_frame(self, opcode, data, fin=True):
        mask = os.urandom(4)
        n = len(data)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(head + mask + body)

    def _read(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the server closed the connection")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """The next message: (opcode, bytes); a close gives (8, code)."""
        message, first = b"", None
        while True:
            b0, b1 = self._read(2)
            op, n = b0 & 15, b1 & 127
            assert not b1 & 0x80, "a server's frame is never masked"
            if n == 126:
                (n,) = struct.unpack(">H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack(">Q", self._read(8))
            payload = self._read(n)
            if op == 8:
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.closed = code
                return 8, code
            if op == 9:  # ping: pong
                self.send_frame(10, payload)
                continue
            if op == 10:
                continue
            if first is None:
                first = op
            message += payload
            if b0 & 0x80:
                return first, message

    def close(self, code=1000):
        try:
            self.send_frame(8, struct.pack(">H", code))
        except OSError:
            pass
        self.sock.close()
