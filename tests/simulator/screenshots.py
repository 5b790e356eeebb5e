"""Take the README's pictures from the real demo: `python -m tests.simulator.screenshots docs`.

Plays three weeks, answers this week's pulse as Maya in Slack and Teams, asks `/alignment`,
closes the week, takes the summary's next step on ("We'll try this"), and saves the `/_sim` page,
the Slack summary on its own (score and range, how each side reads the other, the next step
taken on) and the last summary chart as the Teams card carried it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from playwright.async_api import Page, async_playwright, expect

from demo.launch import first_monday, prepare_database
from demo.page import PageState
from demo.timeline import SETUP_BEFORE
from demo.transcript import data_images
from demo.world import DemoClock, running_world
from server.settings import load_settings
from tests.simulator.test_browser import CHROMIUM_ARGS, chromium

HISTORY = 3
WAIT_MS = 60_000


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        database = f"sqlite+aiosqlite:///{scratch}/demo.db"
        chart = asyncio.run(shoot(folder / "demo-sim.png", database, folder / "demo-summary.png"))
    (folder / "demo-summary-chart.png").write_bytes(chart)


async def shoot(picture: Path, database: str, summary: Path) -> bytes:
    """Save the page as `picture`; returns the last summary chart Teams received."""
    settings = load_settings(mode="demo", database_url=database)
    await prepare_database(settings)
    monday = first_monday(HISTORY)
    state = PageState(first_monday=monday, seed=7, you="maya")
    clock = DemoClock(monday - SETUP_BEFORE)
    async with running_world(settings, clock=clock, mount=state.mount) as world:
        sim = state.sim
        await sim.setup()
        for _ in range(HISTORY):
            await sim.play_week()
        sim.human = {"maya"}
        await sim.next_week()
        sim.ready = True
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium(), args=CHROMIUM_ARGS
            )
            page = await browser.new_page(viewport={"width": 1600, "height": 1000})
            await page.goto(f"{world.server_url}/_sim")
            await expect(page.locator("#next-week")).to_be_enabled(timeout=WAIT_MS)
            await _answer(page)
            await page.click("#close-now")
            await expect(page.locator("#close-now")).to_be_disabled(timeout=WAIT_MS)
            await expect(page.locator("#week")).to_contain_text("pulse closed", timeout=WAIT_MS)
            await page.fill("#slack-input", "/alignment")
            await page.press("#slack-input", "Enter")
            await expect(page.locator("#slack-messages .pending")).to_have_count(0, timeout=WAIT_MS)
            card = page.locator("#slack-messages article.message").filter(has_text="Pulse #4 in")
            take = card.last.get_by_role("button", name="We'll try this")
            if await take.count():
                await take.first.click()
                await expect(page.locator("#slack-messages")).to_contain_text(
                    "will try this", timeout=WAIT_MS
                )
            await page.wait_for_timeout(1500)
            await page.screenshot(path=str(picture))
            # the summary from its top: score and range, how each side reads the other, the step
            await card.last.evaluate("m => m.parentElement.scrollTop = m.offsetTop - 8")
            await page.wait_for_timeout(300)
            await page.locator("section.pane.slack").screenshot(path=str(summary))
            await browser.close()
        # Slack draws its chart itself (data_visualization): the picture is the Teams card's
        charts = [
            image for m in world.connector.messages.values() for image in data_images(m.activity)
        ]
        return charts[-1]


async def _answer(page: Page) -> None:
    slack = page.locator("#slack-messages article.message").filter(has_text="Weekly pulse #4").last
    for row, label in ((0, "4"), (1, "5"), (3, "3")):
        await slack.locator(".bk-actions").nth(row).get_by_role("button", name=label).click()
        await expect(page.locator("#slack-messages .pending")).to_have_count(0, timeout=WAIT_MS)
    await slack.locator("select.bk-select").select_option(label="Customer data access")
    await expect(page.locator("#slack-messages .pending")).to_have_count(0, timeout=WAIT_MS)
    teams = page.locator("#teams-messages article.post").filter(has_text="Weekly pulse #4").last
    await teams.locator(".ac-actions").first.get_by_role("button", name="4", exact=True).click()
    await expect(teams.locator(".toast")).to_have_count(1, timeout=WAIT_MS)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
