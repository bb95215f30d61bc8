"""The WSQ decoder in a process of its own, so that a crash of the NBIS C decoder on
corrupt data (it can segfault) or a hang costs that process, not the hub.

The child (``python -m scomm.interchange.wsq_decoder``) imports the codec and little
else. It reads requests on stdin (4-byte big-endian length, then the WSQ bytes) and
answers on stdout: ``K`` + width and height (4 bytes each) + the grey pixels, or
``E`` + length + a UTF-8 message. It exits on end of input, so it ends with the
process that started it; a watchdog covers a decode that never returns.
"""
from __future__ import annotations

import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from typing import IO

import numpy as np

from ..processes import exit_with_parent

_LEN = struct.Struct(">I")
_SIZE = struct.Struct(">II")


class DecoderUnavailable(RuntimeError):
    """The WSQ decoder did not answer in time: the machine is overloaded or the image
    hangs it. Not a verdict on the file: intake is tried again later."""


class DecoderCrashed(RuntimeError):
    """The decoder process died while decoding."""


class DecoderProcess:
    """One decoder child, started on first use, one request at a time (thread-safe)."""

    def __init__(self, timeout_s: float):
        self.timeout_s = timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def decode(self, data: bytes) -> np.ndarray:
        """Pixels (H x W uint8); ValueError for an image the codec refuses,
        DecoderCrashed if the child died on it, DecoderUnavailable on a timeout."""
        with self._lock:
            proc = self._running()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(_LEN.pack(len(data)) + data)
                proc.stdin.flush()
                deadline = time.monotonic() + self.timeout_s
                kind = _read(proc.stdout, 1, deadline)
                if kind == b"K":
                    w, h = _SIZE.unpack(_read(proc.stdout, _SIZE.size, deadline))
                    px = _read(proc.stdout, w * h, deadline)
                    return np.frombuffer(px, dtype=np.uint8).reshape(h, w).copy()
                (n,) = _LEN.unpack(_read(proc.stdout, _LEN.size, deadline))
                raise ValueError(_read(proc.stdout, n, deadline).decode("utf-8", "replace"))
            except TimeoutError:
                self._stop(proc)
                raise DecoderUnavailable(f"the WSQ decoder did not finish in {self.timeout_s:.0f} s") \
                    from None
            except (BrokenPipeError, EOFError):
                self._stop(proc)
                raise DecoderCrashed("the WSQ decoder process died") from None

    def close(self) -> None:
        with self._lock:
            if self._proc is not None:
                self._stop(self._proc)

    def _running(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", __name__, str(os.getpid())],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return self._proc

    def _stop(self, proc: subprocess.Popen[bytes]) -> None:
        proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
        if self._proc is proc:
            self._proc = None


def _read(pipe: IO[bytes], n: int, deadline: float) -> bytes:
    """Exactly ``n`` bytes; TimeoutError past ``deadline``, EOFError if the pipe closes."""
    out = bytearray()
    fd = pipe.fileno()
    while len(out) < n:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(fd, min(n - len(out), 1 << 20))
        if not chunk:
            raise EOFError
        out += chunk
    return bytes(out)


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    from .images import pil_gray  # the codec, in the child only
    while True:
        head = stdin.read(_LEN.size)
        if len(head) < _LEN.size:
            return                  # the parent closed the pipe: it is done, or gone
        (n,) = _LEN.unpack(head)
        data = stdin.read(n)
        try:
            a = pil_gray(data, "WSQ")
            answer = b"K" + _SIZE.pack(a.shape[1], a.shape[0]) + a.tobytes()
        except ValueError as exc:
            message = str(exc).encode("utf-8", "replace")
            answer = b"E" + _LEN.pack(len(message)) + message
        stdout.write(answer)
        stdout.flush()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    exit_with_parent(int(sys.argv[1]) if len(sys.argv) > 1 else None)
    _serve(sys.stdin.buffer, sys.stdout.buffer)
