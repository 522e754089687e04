"""The README's report screenshots, from a fresh demo: `python docs/screenshots/make.py`.

Starts `hub run` on a database of its own (a SQLite file in a temporary folder, unless --database) and the Redis
database given (--redis, default 6), signs in as the demo admin, and saves PNGs of the overview (English), the
lifecycle matrix with a cell saved as a segment and the campaign editor it opens (Chinese), the agent report
(Japanese) and CSAT (English) here, then compresses them with pngquant when it is installed. Needs Playwright
and a Chromium (--chromium).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ADMIN = ("admin@hub.local", "hub-demo-password")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CELL_CAMPAIGN = "reports-cell-campaign-zh-hant.png"
"""The lifecycle cell saved as a segment, then "send a campaign": the campaign editor, its audience set."""
SHOTS = [  # file, language, page, what to wait for, what to click first
    ("reports-overview-en.png", "en", "/reports", ".overview-card[data-report=service] .kpi-value", None),
    ("reports-lifecycle-zh-hant.png", "zh_Hant", "/reports/lifecycle", "#lifecycle-matrix .lc-count",
     "#lifecycle-matrix [data-cell='repeat sleeping']"),
    ("reports-agents-ja.png", "ja", "/reports/agents", ".kpi[data-metric=replies] .kpi-value", None),
    ("reports-csat-en.png", "en", "/reports/csat", ".kpi[data-metric=score] .kpi-value", None),
]


def start(workdir: Path, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HUB_DATABASE_URL": args.database or f"sqlite:///{workdir / 'hub.db'}",
           "HUB_VAR_DIR": str(workdir / "var"), "HUB_REDIS_URL": args.redis, "HUB_FLOW_TIME_SCALE": "720"}
    log = (workdir / "hub.log").open("wb")
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "hub.cli", "run", "--port", str(args.port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = started + args.wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"hub run stopped; see {workdir / 'hub.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/login", timeout=2) as answer:
                if answer.status == 200:
                    print(f"demo up in {time.monotonic() - started:.0f} s")
                    return process
        except OSError:
            pass
        time.sleep(1)
    stop(process)
    raise SystemExit(f"the demo did not answer within {args.wait} s; see {workdir / 'hub.log'}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """`hub run` stops its API, workers and embedded Redis on SIGTERM; its own group only."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def language(page: Page, code: str) -> None:
    page.goto("/account")
    form = page.locator("form[action='/account/language']")
    form.locator("select").select_option(code)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def shoot(page: Page, name: str, code: str, path: str, ready: str, click: str | None) -> Path:
    language(page, code)
    page.goto(path)
    expect(page.locator(ready).first).to_be_visible(timeout=180_000)
    page.wait_for_load_state("networkidle")
    if click:  # a cell: its customers, saved as a segment, the campaign and journey buttons
        page.locator(click).click()
        panel = page.locator(".lc-panel")
        expect(panel.locator(".lc-members li").first).not_to_have_class("muted", timeout=180_000)
        panel.locator("#lc-save").click()
        expect(panel.locator(".lc-actions a").first).to_be_visible(timeout=180_000)
    page.wait_for_timeout(800)  # the charts' transitions
    out = HERE / name
    page.screenshot(path=str(out), full_page=True)
    return out


def campaign_from_cell(page: Page) -> Path:
    """Follow the opened cell's "send a campaign": the editor opens with the cell's segment as its audience."""
    page.locator(".lc-panel .lc-actions a").first.click()
    expect(page.locator("#campaign-editor")).to_be_visible(timeout=180_000)
    page.wait_for_load_state("networkidle")
    out = HERE / CELL_CAMPAIGN
    page.screenshot(path=str(out), full_page=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--database", help="a database URL of its own (default: a new SQLite file)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--wait", type=int, default=600, help="seconds to wait for the demo to start")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hub-screenshots-"))
    process = start(workdir, args)
    made: list[Path] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900},
                                    base_url=f"http://127.0.0.1:{args.port}")
            page.set_default_timeout(180_000)  # a loaded machine: the demo's first pages can be slow
            page.goto("/login")
            page.locator("input[name=email]").fill(ADMIN[0])
            page.locator("input[name=password]").fill(ADMIN[1])
            page.locator("button[type=submit]").click()
            page.wait_for_load_state()
            for shot in SHOTS:
                made.append(shoot(page, *shot))
                if shot[4]:
                    made.append(campaign_from_cell(page))
            language(page, "en")
            browser.close()
    finally:
        stop(process)
    pngquant = shutil.which("pngquant")
    if pngquant:
        subprocess.run([pngquant, "--force", "--skip-if-larger", "--ext", ".png", "--quality", "70-90",
                        *map(str, made)], check=False)
    for path in made:
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KiB")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
