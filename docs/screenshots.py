"""Refresh the README screenshots from a running `make run`:

.venv/bin/python docs/screenshots.py http://127.0.0.1:5000
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent


def main(base_url):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{base_url}/login")
        page.fill("input[name=email]", "admin@convene.test")
        page.fill("input[name=password]", "convene-demo")
        page.click("button.primary")
        for locale in ("ru", "en"):
            switch_language(page, base_url, locale)
            page.goto(f"{base_url}/admin/events/1")
            page.screenshot(path=HERE / f"event-admin-{locale}.png", full_page=True)
        page.goto(f"{base_url}/admin/events/1/registrations")
        page.screenshot(
            path=HERE / "applications-en.png",
            full_page=True,
            clip={"x": 0, "y": 0, "width": 1280, "height": 1300},
        )
        page.goto(f"{base_url}/admin/assessment-sessions")
        page.click("text=Leadership Team Development")
        page.click("a:has-text('Report')")
        page.wait_for_load_state()
        page.screenshot(path=HERE / "assessment-report-en.png")
        page.set_viewport_size({"width": 375, "height": 800})  # a phone, in English
        page.goto(f"{base_url}/admin/events/1")
        page.screenshot(path=HERE / "event-admin-phone.png", full_page=True)
        browser.close()


def switch_language(page, base_url, locale):
    page.goto(f"{base_url}/admin/events")
    switch = page.locator(f".locale-switch button[value={locale}]:not([disabled])")
    if switch.count():
        switch.click()
        page.wait_for_load_state()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
