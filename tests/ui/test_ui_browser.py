"""The UI in a real browser (Debian's chromium, headless, driven by Playwright): after a local
run, open the executions, one execution's step graph, a model version and its plots, approve it
and see the registry change; axe-core's WCAG 2 A/AA rules (labels, contrast, ...) on every page.
Each page's screenshot goes to docs/ui-screenshots/ (linked from the README)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import axe_playwright_python
import pytest
from conftest import UiRun
from e2e_support import run_json
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ui")]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "ui-screenshots"
AXE = Path(axe_playwright_python.__file__).parent / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium_path), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {"rule": v["id"], "help": v["help"], "where": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def check_and_shoot(page: Page, name: str) -> None:
    """axe finds nothing on the page; its screenshot is written."""
    assert page.title(), "every page has a title"
    assert accessibility_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_executions_step_graph_model_plots_approve(page: Page, ui_url: str, ui_run: UiRun) -> None:
    first = ui_run.first["execution"]["id"]
    page.goto(f"{ui_url}/executions")
    expect(page.get_by_role("heading", name="Executions")).to_be_visible()
    expect(page.get_by_role("link", name=first)).to_be_visible()
    check_and_shoot(page, "executions")

    page.get_by_role("link", name=first).click()
    expect(page.get_by_role("heading", name=f"Execution {first}")).to_be_visible()
    graph = page.locator("#step-graph")
    expect(graph).to_be_visible()
    for step in ("Preprocess", "Tune", "Evaluate", "QualityGate", "Register"):
        expect(graph.locator(f'[data-step="{step}"]')).to_have_attribute("data-status", "Succeeded")
    expect(graph.locator('[data-step="QualityGateFailed"]')).to_have_attribute(
        "data-status", "NotRun"
    )
    page.locator("summary", has_text="Log Tune.log").click()
    expect(page.locator("#step-Tune pre").first).to_contain_text("validation")
    check_and_shoot(page, "execution")

    page.get_by_role("link", name="Models").click()
    expect(page.get_by_role("link", name="version 2")).to_be_visible()
    check_and_shoot(page, "models")

    page.get_by_role("link", name="version 2").click()
    expect(page.locator("#approval-status")).to_contain_text("PendingManualApproval")
    images = page.locator(".plots img")
    expect(images).to_have_count(4)  # ROC, precision-recall, confusion matrix, importance
    expect(page.get_by_alt_text("Feature importance of version 2")).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.plots img')].every(i => i.complete)"
    )
    for index in range(4):  # every plot decoded by the browser, not a broken image
        assert images.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    check_and_shoot(page, "model")

    page.get_by_label("Reason for approving").fill("reviewed the plots in the UI test")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#approval-status")).to_contain_text("Approved")
    expect(page.get_by_role("cell", name="reviewed the plots in the UI test")).to_be_visible()
    registry = run_json(ui_run.environments, "models", "list", cwd=ui_run.folder)
    second = next(p for p in registry if p["version"] == 2)
    assert second["approval_status"] == "Approved"
    assert second["status_reason"] == "reviewed the plots in the UI test"


def test_compare_and_endpoints_pages(page: Page, ui_url: str, ui_run: UiRun) -> None:
    page.goto(f"{ui_url}/models")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/models/compare\?a=1&b=2$"))
    expect(page.get_by_role("rowheader", name="auc")).to_be_visible()
    check_and_shoot(page, "compare")

    page.get_by_role("link", name="Endpoints").click()
    expect(page.locator("#monitoring")).to_contain_text(ui_run.drift["status"])
    expect(page.get_by_role("figure").first).to_be_visible()
    check_and_shoot(page, "endpoints")

    page.goto(f"{ui_url}/executions/nosuchexecution")
    expect(page.get_by_role("alert")).to_contain_text("nosuchexecution")
    check_and_shoot(page, "error")
