"""The reporting API's Swagger page works in a real browser under the site's CSP: its files
come from our static files, nothing inline is blocked, and "Try it out" with a token reads the
organisation's rows."""

import pytest

from tests.api import world as worlds

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_swagger_page_renders_and_calls_the_api_with_a_token(page, live_server, problems):
    world = worlds.build(people=2)
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.get_by_text("Socialcraft Reporting API").first.wait_for()
    operation = page.locator("#operations-teams-teams_list")
    operation.wait_for()
    page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    dialog.locator("input").first.fill(world.acme_token)
    dialog.locator("button.authorize").click()
    dialog.locator("button.btn-done").click()
    operation.click()
    page.get_by_role("button", name="Try it out").first.click()
    page.get_by_role("button", name="Execute").first.click()
    page.locator(".live-responses-table .response-col_status").first.wait_for()
    body = page.locator(".live-responses-table .microlight").first.inner_text()
    assert "Sales" in body and "Exports" not in body
    assert problems.errors == []
