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
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(f"{base_url}/login")
        page.fill("input[name=email]", "admin@convene.test")
        page.fill("input[name=password]", "convene-demo")
        page.click("button.primary")
        for locale in ("en", "ru"):
            page.goto(f"{base_url}/admin/events")
            switch = page.locator(f".locale-switch button[value={locale}]:not([disabled])")
            if switch.count():
                switch.click()
            page.goto(f"{base_url}/admin/events/1")
            page.screenshot(path=HERE / f"event-admin-{locale}.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
