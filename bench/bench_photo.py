"""Sending a 4000x3000 phone photo from the report form, before and after resizing in the browser.

    python bench/bench_photo.py [--scale small|full] [--data-dir DIR] [-n 1] [--factor 1]

Builds (or reuses) the demo county of bench_weight.py, starts `shanzhi serve` (gunicorn, the real upload
endpoint), and opens the report form as a resident in Chromium (/usr/bin/chromium, a 390x844 phone)
under the network emulation of bench_weight.py: 400 ms latency, 50 kB/s both ways. A 4000x3000 JPEG
like a phone's (smooth light with grain, EXIF orientation 6, about 7.6 MB) is generated once. Timed from
choosing the file to the upload being stored (the endpoint's 201 with the token, checked in the
database afterwards):

  before  the photo sent at full size, the old way: the same endpoint (POST /cases/uploads/) given the
          original file, posted by the page's own XMLHttpRequest from a plain file input, no resizing;
  after   the photo chosen in the form's picker (static/shanzhi/forms.js): decoded, resized to 1600 px on
          the longest side and re-encoded in the browser, then sent with its progress bar.

Bytes: the request body as sent (multipart envelope included). "before" is the baseline of the run;
ratios are of each row against it. `--factor F` multiplies the emulated bandwidth (stated in the table)
for a quicker run; the default is the issue's 50 kB/s, where the full-size photo takes about 150 s.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import open_demo  # noqa: E402
from bench_weight import CHROMIUM, PHONE, field_data, serve  # noqa: E402

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

# A plain file input posting the chosen file as it is to the picker's own upload URL: the page before
# photos were resized. Resolves with the request's status, the bytes sent and the answer's token.
SEND_FULL_SIZE = """() => new Promise((resolve) => {
  const box = document.querySelector("[data-photo-upload]");
  const input = document.createElement("input");
  input.type = "file";
  input.id = "bench-full-size";
  document.body.appendChild(input);
  input.addEventListener("change", () => {
    const data = new FormData();
    data.append("photo", input.files[0], input.files[0].name);
    const xhr = new XMLHttpRequest();
    let total = 0;
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) { total = e.total; } });
    xhr.open("POST", box.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", document.querySelector("input[name=csrfmiddlewaretoken]").value);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.addEventListener("load", () => {
      let token = "";
      try { token = JSON.parse(xhr.responseText).token || ""; } catch (err) { token = ""; }
      window.benchSent = { status: xhr.status, bytes: total, token: token };
    });
    xhr.addEventListener("error", () => { window.benchSent = { status: 0, bytes: total, token: "" }; });
    xhr.send(data);
  });
  resolve(true);
})"""


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", choices=["small", "full"], default="small")
    p.add_argument("--data-dir", default="", help="SHANZHI_DATA_DIR (default: bench_weight.py's temp dir per scale)")
    p.add_argument("-n", type=int, default=1, help="timed sends of each kind (default 1: the full size takes minutes)")
    p.add_argument("--factor", type=float, default=1.0,
                   help="multiply the emulated 50 kB/s by this (default 1: the issue's slow 3G)")
    return p.parse_args()


def phone_photo(path: Path) -> int:
    """A 4000x3000 JPEG like a phone's: smooth light with grain, taken turned (EXIF orientation 6)."""
    from PIL import Image

    light = Image.linear_gradient("L").resize((4000, 3000))
    grain = Image.effect_noise((4000, 3000), 48)
    img = Image.merge("RGB", (light, Image.blend(light, grain, 0.5), grain))
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92, exif=exif.tobytes())
    path.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def main() -> None:
    args = parse_args()
    data = open_demo(args.data_dir or Path(tempfile.gettempdir()) / f"shanzhi-bench-pages-{args.scale}", args.scale)
    from django.conf import settings
    from django.test import Client

    from shanzhi.cases.models import PendingUpload
    from shanzhi.lib.pageweight import SLOW_3G

    user, *_ = field_data()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    network = {**SLOW_3G, "downloadThroughput": SLOW_3G["downloadThroughput"] * args.factor,
               "uploadThroughput": SLOW_3G["uploadThroughput"] * args.factor}
    picture = Path(tempfile.mkdtemp()) / "IMG_4000x3000.jpg"
    size = phone_photo(picture)
    proc, base = serve(data)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM calls between browser steps; Playwright's loop runs here
    from playwright.sync_api import sync_playwright

    results: dict[str, list[tuple[int, float, tuple[int, int]]]] = {"before": [], "after": []}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            for _ in range(max(1, args.n)):
                for kind in ("before", "after"):
                    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
                    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
                    page = context.new_page()
                    page.goto(base + "/cases/report/", wait_until="load")
                    cdp = context.new_cdp_session(page)
                    cdp.send("Network.enable")
                    cdp.send("Network.emulateNetworkConditions", network)
                    posts: list = []
                    page.on("requestfinished", lambda r, posts=posts: posts.append(r)
                            if r.method == "POST" and r.url.endswith("/cases/uploads/") else None)
                    if kind == "before":
                        page.evaluate(SEND_FULL_SIZE)
                        t0 = time.monotonic()
                        page.locator("#bench-full-size").set_input_files(str(picture))
                        page.wait_for_function("() => window.benchSent", timeout=0, polling=100)
                        seconds = time.monotonic() - t0
                        sent = page.evaluate("() => window.benchSent")
                        ok, token = sent["status"] == 201, sent["token"]
                    else:
                        t0 = time.monotonic()
                        page.locator("#id_photos").set_input_files(str(picture))
                        page.wait_for_selector(".photo-list .photo-item.done, .photo-list .photo-item.failed",
                                               timeout=0)
                        seconds = time.monotonic() - t0
                        item = page.locator(".photo-list .photo-item").first
                        ok = "done" in (item.get_attribute("class") or "")
                        token = item.locator("input[type=hidden]").get_attribute("value") if ok else ""
                    for _ in range(100):  # the finished event may come just after the page says done
                        if posts:
                            break
                        page.wait_for_timeout(100)
                    bodies = [int(r.header_value("content-length") or 0) for r in posts]
                    context.close()
                    stored = PendingUpload.objects.filter(token=token).first() if ok else None
                    if stored is None or len(bodies) != 1:
                        raise SystemExit(f"{kind}: the photo was not stored (requests: {bodies})")
                    results[kind].append((bodies[0], seconds, (stored.width, stored.height)))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    rate = 50 * args.factor
    base_s = statistics.median(s for _, s, _ in results["before"])
    base_b = results["before"][0][0]
    print(f"\nA 4000x3000 phone photo ({size / 1e6:.1f} MB JPEG) from the report form to stored, {args.scale} demo, "
          f"Chromium 390x844, network emulation 400 ms latency and {rate:g} kB/s"
          f"{'' if args.factor == 1 else f' (the issue 50 kB/s x {args.factor:g})'}, median of {max(1, args.n)}\n")
    print("| how the photo goes | stored as (px) | bytes sent | seconds | x full size (bytes) | x full size (time) |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    labels = {"before": "before: at full size (baseline)", "after": "after: resized in the browser"}
    for kind in ("before", "after"):
        sent = results[kind][0][0]
        secs = statistics.median(s for _, s, _ in results[kind])
        w, h = results[kind][0][2]
        print(f"| {labels[kind]} | {w}x{h} | {sent:,} | {secs:.1f} | {sent / base_b:.3f} | {secs / base_s:.3f} |")


if __name__ == "__main__":
    main()
