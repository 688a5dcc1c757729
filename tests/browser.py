"""Headless Chromium helpers for layout tests: measure overflow, take screenshots, read PNGs.

Headless Chromium will not make a window narrower than 500 px (``--window-size=375,…``
silently gives 500), so a phone width cannot be had from command-line flags. Instead the
helper speaks the DevTools protocol over ``--remote-debugging-pipe`` (stdlib only: JSON
messages separated by NUL on file descriptors 3 and 4) and sets the viewport with
``Emulation.setDeviceMetricsOverride`` — the same thing DevTools' device mode does. The page
under test carries no script (an email must not); measurements are taken with
``Runtime.evaluate`` from outside. PNGs are decoded with zlib, so no imaging package is
needed to tell a blank screenshot from a rendered page.

Use::

    with Browser() as b:
        m = b.load(path, width=375)          # -> Measure(scroll_width, client_width, wide)
        png = b.screenshot()                 # PNG bytes of the viewport
    read_png(png).ink_share
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import struct
import subprocess
import tempfile
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_S = 60.0

# Elements whose right edge passes the viewport: names the culprit when a test fails.
_MEASURE_JS = """
(() => {
  const d = document.documentElement, vw = d.clientWidth, wide = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.right > vw + 0.5 && r.width > 0) {
      wide.push(e.tagName.toLowerCase() + ' right=' + Math.round(r.right) + ' "' +
                (e.textContent || '').trim().slice(0, 50) + '"');
    }
  }
  return {scrollWidth: d.scrollWidth, clientWidth: vw, innerWidth: window.innerWidth,
          scripts: document.scripts.length, wide: wide.slice(0, 10)};
})()
"""


def chromium_available() -> bool:
    """Whether the Debian chromium binary is installed."""
    return os.access(CHROMIUM, os.X_OK)


@dataclass
class Measure:
    """What the page looked like at one viewport width."""

    width: int
    scroll_width: int
    client_width: int
    scripts: int
    wide: list[str]

    @property
    def overflows(self) -> bool:
        return self.scroll_width > self.client_width


class Browser:
    """One headless Chromium driven over the DevTools pipe; one page (tab)."""

    def __init__(self, timeout_s: float = TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._profile = tempfile.TemporaryDirectory(prefix="briefgen-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds() -> None:  # runs in the child: the protocol's fixed fds 3 (in) and 4 (out)
            # Move both ends above 4 first: the pipes may already sit on 3 or 4, and
            # dup2(fd, fd) would leave close-on-exec set (and a swap would clobber one).
            high_in = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            high_out = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        # stderr to a file: chromium logs freely, and a full pipe would stall it.
        self._log = open(Path(self._profile.name) / "chromium.log", "wb")  # noqa: SIM115
        self._proc = subprocess.Popen(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--hide-scrollbars", "--remote-debugging-pipe",
                f"--user-data-dir={self._profile.name}", "about:blank",
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
            preexec_fn=wire_fds, close_fds=False,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)

    # ---- protocol ------------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any] | None = None, *, session: bool = False) -> dict[str, Any]:
        """Send one DevTools command and wait for its result."""
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self._session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            if "method" in reply:
                self._events.append(reply)

    def wait_event(self, method: str) -> dict[str, Any]:
        """Wait for a DevTools event (already received ones count)."""
        while True:
            for i, event in enumerate(self._events):
                if event["method"] == method:
                    return self._events.pop(i)
            self._events.append(self._read())

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout_s
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_child], [], [], max(left, 0))
            if not ready:
                raise TimeoutError(f"chromium did not answer within {self.timeout_s:.0f} s")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                log = Path(self._profile.name) / "chromium.log"
                raise RuntimeError(f"chromium closed the pipe: {log.read_text(errors='replace')[-1500:]}")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return dict(json.loads(raw))

    # ---- page ----------------------------------------------------------------------------
    def load(self, page: Path, *, width: int, height: int = 1600) -> Measure:
        """Open a local HTML file at a viewport of width×height (mobile below 600 px) and measure it."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
            session=True,
        )
        self._events.clear()
        self.call("Page.navigate", {"url": page.resolve().as_uri()}, session=True)
        self.wait_event("Page.loadEventFired")
        data = self.evaluate(_MEASURE_JS)
        return Measure(width, int(data["scrollWidth"]), int(data["clientWidth"]), int(data["scripts"]),
                       list(data["wide"]))

    def evaluate(self, expression: str) -> Any:
        """Value of a JavaScript expression in the page (returned by value)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, *, full_page: bool = False) -> bytes:
        """PNG of the current viewport, or of the whole page's height when full_page."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            width, height = self.evaluate(
                "[document.documentElement.clientWidth, document.documentElement.scrollHeight]"
            )
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        data = self.call("Page.captureScreenshot", params, session=True)["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        """Close the browser and remove its profile."""
        try:
            self.call("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._to_child, self._from_child):
            os.close(fd)
        self._log.close()
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- PNG ---------------------------------------------------------------------------------
@dataclass
class PngSummary:
    width: int
    height: int
    colors: int  # distinct pixel values
    background: tuple[int, ...]  # the most common pixel value
    ink_share: float  # share of pixels that differ from the background


def read_png(data: bytes) -> PngSummary:
    """Decode an 8-bit PNG with zlib and summarise its pixels (enough to tell blank from not)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, bytearray(), b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IHDR":
            header = data[pos + 8 : pos + 8 + length]
        elif kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", header)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {ctype}, interlace {interlace})")
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    prev = bytearray(stride)
    counts: Counter[bytes] = Counter()
    for y in range(height):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(raw[start], line, prev, channels)
        counts.update(bytes(line[x : x + channels]) for x in range(0, stride, channels))
        prev = line
    background, bg_count = counts.most_common(1)[0]
    return PngSummary(width, height, len(counts), tuple(background), 1 - bg_count / (width * height))


def _unfilter(ftype: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    if ftype == 0:
        return
    if ftype == 2:  # the common case for screenshots; do it without a per-byte branch
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, prev))
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = prev[i]
        if ftype == 1:
            line[i] = (line[i] + left) & 0xFF
        elif ftype == 3:
            line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
        elif ftype == 4:
            upleft = prev[i - bpp] if i >= bpp else 0
            p = left + up - upleft
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else upleft)) & 0xFF
