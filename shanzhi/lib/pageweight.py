"""What a page load costs on the wire, measured in Chromium (Playwright, DevTools protocol).

A page's weight is the sum of `encodedDataLength` over every response the load fetched from the
server (HTML, CSS, scripts, images, fonts, htmx requests), as received: compressed when the server
compressed it, headers included. Requests elsewhere (map tiles, any other host) are left out. Cold:
a fresh browser context, nothing cached. Warm: the same URL opened again in that context, so only
what is not cacheable (the HTML) is fetched again. Used by the page-weight budget test and by
bench/bench_weight.py; needs the dev dependency playwright and a chromium.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# Chromium's "Slow 3G"-like profile of the issue: 400 ms round trip, 50 kB/s both ways.
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 50 * 1000, "uploadThroughput": 50 * 1000}


@dataclass
class Load:
    """One navigation: bytes per URL fetched from our server, and the time to the load event."""

    url: str
    status: int
    bytes_by_url: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.bytes_by_url.values())

    def describe(self) -> str:
        rows = sorted(self.bytes_by_url.items(), key=lambda kv: -kv[1])
        return "\n".join(f"  {n:>8,} B  {u}" for u, n in rows)


class Meter:
    """Counts the bytes a page's loads receive from `base`, through a DevTools session on the page."""

    def __init__(self, page, base: str, *, network: dict | None = None) -> None:
        self.page, self.base = page, base.rstrip("/")
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        if network:
            self.cdp.send("Network.emulateNetworkConditions", network)
        self._urls: dict[str, str] = {}
        self._bytes: dict[str, int] = {}
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event: dict) -> None:
        self._urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event: dict) -> None:
        self._bytes[event["requestId"]] = self._bytes.get(event["requestId"], 0) + int(event["encodedDataLength"])

    def _collect(self, url: str, status: int, seconds: float) -> Load:
        load = Load(url=url, status=status, seconds=seconds)
        for rid, n in self._bytes.items():
            u = self._urls.get(rid, "")
            if n and u.startswith(self.base + "/"):  # from our server (no tiles), not from the cache
                load.bytes_by_url[u] = load.bytes_by_url.get(u, 0) + n
        self._urls.clear()
        self._bytes.clear()
        return load

    def open(self, path: str) -> Load:
        """Open base+path and wait until the network is quiet."""
        self._urls.clear()
        self._bytes.clear()
        t0 = time.monotonic()
        response = self.page.goto(self.base + path, wait_until="load")
        seconds = time.monotonic() - t0
        self.page.wait_for_load_state("networkidle")
        return self._collect(path, response.status if response else 0, seconds)

    def act(self, selector: str) -> Load:
        """Click `selector` (a form's button) and count the navigation it causes."""
        self._urls.clear()
        self._bytes.clear()
        t0 = time.monotonic()
        with self.page.expect_navigation(wait_until="load") as nav:
            self.page.click(selector)
        seconds = time.monotonic() - t0
        self.page.wait_for_load_state("networkidle")
        response = nav.value
        return self._collect(self.page.url, response.status if response else 0, seconds)
