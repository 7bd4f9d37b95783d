"""Page weight on a phone: bytes on the wire and requests per page at 390×844, cache off, audio excluded.

A throwaway site as `make run` sets it up (demo content), plus what the issue measured
against: a 3000 px show artwork (about 2.7 MB, as the admin asks editors to upload) on the
demo's first show. Each page is opened once in a fresh Chromium context with the cache
disabled; the figure is the sum of `encodedDataLength` of every response but audio, up to
network idle (lazy images below the first screen are not fetched, as on a real first visit).

    .venv/bin/python bench/page_weight.py                   # this checkout
    .venv/bin/python bench/page_weight.py --checkout DIR    # another tree (e.g. `git archive` of main)
    .venv/bin/python bench/page_weight.py --lighthouse PATH # also Lighthouse mobile, median of 3 runs
    .venv/bin/python bench/page_weight.py --archive DIR     # the old site's checkout imported instead of the demo

With `--archive` the site is the old site's repository imported with `import_jekyll` (its MP3s
replaced by short stand-ins, as tests/test_cutover_real_archive.py takes it); the 3000 px artwork
goes on the first show as before, but the episode measured keeps its own cover: the newest one
with a cover and a cast, as the issue measured `/episode/550`.

`--lighthouse` takes the path of a `lighthouse` CLI (`npm install lighthouse@12` somewhere
outside the project); it runs with CHROME_PATH (default /usr/bin/chromium).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchsite import ROOT, free_port, start_gunicorn

BUDGET_KB = 150
ARTWORK = """
import random
from io import BytesIO
from django.core.files.base import ContentFile
from PIL import Image, ImageFilter
from episodes.catalogue.models import Episode, Show
random.seed(25)
# Photo-like detail (noise over a gradient) so the JPEG weighs what a real cover does.
image = Image.effect_noise((3000, 3000), 60).convert("RGB").filter(ImageFilter.GaussianBlur(1.2))
tint = Image.linear_gradient("L").resize((3000, 3000)).convert("RGB")
image = Image.blend(image, tint, 0.4)
out = BytesIO()
image.save(out, "JPEG", quality=92)
show = Show.objects.order_by("pk").first()
show.artwork.save("artwork-3000.jpg", ContentFile(out.getvalue()))
if KEEP_COVERS:
    # The real archive: the newest episode with a cover and a cast, wherever its show.
    episodes = Episode.objects.published().exclude(image="").filter(appearances__isnull=False).order_by("-published_at")
else:
    # The show's episodes have no cover of their own: pages and cards show the artwork (the issue's case).
    Episode.objects.filter(show=show).update(image="", thumbnail="", image_url="", thumbnail_url="")
    episodes = Episode.objects.published().filter(show=show).order_by("-published_at")
pick = episodes.filter(appearances__isnull=False).first() or episodes.first()
print(json.dumps({"show": show.get_absolute_url(), "episode": pick.get_absolute_url(),
                  "embed": pick.get_absolute_url() + "/embed", "artwork_bytes": len(out.getvalue())}))
"""


def site(checkout: Path, workdir: Path, port: int, archive: Path | None = None) -> tuple[dict, dict]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME"}}
    env.update(
        ZUNDAPOD_VAR_DIR=str(workdir),
        ZUNDAPOD_ENV_FILE=str(workdir / "none.env"),
        DJANGO_SETTINGS_MODULE="zundapod.settings",
        DJANGO_SECRET_KEY="bench-only-secret-key-" + "p" * 40,
        DJANGO_DEBUG="0",
        SITE_URL=f"http://127.0.0.1:{port}",
    )
    content = ["import_jekyll", str(archive)] if archive else ["load_demo"]
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v0"], content):
        subprocess.run([sys.executable, "manage.py", *command], cwd=checkout, env=env, check=True, capture_output=True)
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", f"import json\nKEEP_COVERS = {bool(archive)}\n" + ARTWORK],
        cwd=checkout,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    # No worker runs here: make the renditions the saves queued, as the worker would.
    subprocess.run(
        [sys.executable, "manage.py", "build_renditions"], cwd=checkout, env=env, check=True, capture_output=True
    )
    return env, json.loads(done.stdout.strip().splitlines()[-1])


def weigh(page_factory, url: str) -> tuple[int, int]:
    """Bytes (all but audio) and requests for one first visit."""
    page = page_factory()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    kinds, sizes = {}, {}
    cdp.on("Network.responseReceived", lambda e: kinds.__setitem__(e["requestId"], e["type"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    counted = [size for request, size in sizes.items() if kinds.get(request) != "Media"]
    page.context.close()
    return sum(counted), len(counted)


def lighthouse(cli: str, url: str, runs: int = 3) -> dict:
    """Median performance, LCP (s), CLS and accessibility of `runs` Lighthouse mobile runs."""
    results = []
    for _ in range(runs):
        # Chromium now and then fails to record the trace ("Something went wrong with recording the
        # trace"); that says nothing about the page, so such a run is tried again, twice at most.
        for attempt in range(3):
            try:
                done = subprocess.run(
                    [cli, url, "--output=json", "--quiet", "--chrome-flags=--headless=new --no-sandbox",
                     "--only-categories=performance,accessibility"],
                    capture_output=True, text=True, check=True,
                    env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
                )  # fmt: skip
                break
            except subprocess.CalledProcessError as exc:
                if attempt == 2 or "recording the trace" not in (exc.stderr or ""):
                    raise
        report = json.loads(done.stdout)
        audits = report["audits"]
        results.append(
            (
                report["categories"]["performance"]["score"] * 100,
                audits["largest-contentful-paint"]["numericValue"] / 1000,
                audits["cumulative-layout-shift"]["numericValue"],
                report["categories"]["accessibility"]["score"] * 100,
            )
        )
    # Each figure's own median (the run with the median score may not have the median LCP).
    middle = [sorted(column)[len(column) // 2] for column in zip(*results, strict=True)]
    return dict(zip(("performance", "lcp", "cls", "accessibility"), middle, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the project tree to serve (default: this one)")
    parser.add_argument("--lighthouse", metavar="CLI", help="a lighthouse CLI: also print its mobile scores")
    parser.add_argument("--archive", type=Path, help="a checkout of the old site to import instead of the demo")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="zundapod-weight-") as folder:
        workdir = Path(folder)
        port = free_port()
        archive = args.archive.resolve() if args.archive else None
        env, paths = site(args.checkout.resolve(), workdir, port, archive)
        server = start_gunicorn(env, workdir, port, ready=("/", {}), cwd=args.checkout.resolve())
        base = f"http://127.0.0.1:{port}"
        pages = {
            "home": "/",
            "episode": paths["episode"],
            "show": paths["show"],
            "embed": paths["embed"],
            "search": "/search/?q=AI",
            "letters": "/letters/",
        }
        print(
            f"{archive or 'demo'} on {args.checkout}: show artwork {paths['artwork_bytes'] / 1e6:.2f} MB, 390x844, cache off, no audio"
        )
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=os.environ.get("CHROME_PATH", "/usr/bin/chromium"), args=["--no-sandbox"]
                )

                def fresh():
                    context = browser.new_context(
                        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=3
                    )
                    return context.new_page()

                worst = 0
                for name, path in pages.items():
                    size, requests = weigh(fresh, base + path)
                    worst = max(worst, size)
                    print(f"  {name:8} {path[:40]:40} {size / 1024:8.1f} KB  {requests:3d} requests")
                browser.close()
            if args.lighthouse:
                print("Lighthouse mobile, median of 3: performance, LCP, CLS, accessibility")
                for name, path in pages.items():
                    try:
                        scores = lighthouse(args.lighthouse, base + path)
                    except subprocess.CalledProcessError as exc:
                        last = (exc.stderr or "").strip().splitlines()[-1:] or ["no output"]
                        print(f"  {name:8} Lighthouse failed: {last[0][:100]}")
                        continue
                    print(
                        f"  {name:8} {scores['performance']:5.0f}  {scores['lcp']:5.2f} s  "
                        f"{scores['cls']:6.3f}  {scores['accessibility']:5.0f}"
                    )
        finally:
            server.terminate()
            server.wait(timeout=20)
        verdict = "within" if worst <= BUDGET_KB * 1024 else "OVER"
        print(f"heaviest page {worst / 1024:.1f} KB: {verdict} the {BUDGET_KB} KB budget")


if __name__ == "__main__":
    main()
