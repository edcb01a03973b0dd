"""What a person sees in the dashboard and in GraphiQL, in Chromium, against `hems serve`."""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import HemsServer, Tab

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
STATS = "{ energyStats { currentProduction currentConsumption storageFlow netGridFlow timestamp } }"
FLOW_NODES = ("production", "consumption", "grid", "battery", "ev")
#: Cycles the flow test waits through at most to read the page and the API on the same one.
MAX_CYCLES = 30


def watts(w: float) -> str:
    """The page's format (format.js `watts`): "850 W", "1.23 kW"; the sign is the arrow."""
    a = abs(w)
    return f"{a / 1000:.2f} kW" if a >= 1000 else f"{math.floor(a + 0.5)} W"


def username() -> str:
    return f"browser-{uuid.uuid4().hex[:8]}"


def add_device(page: Page, kind: str, name: str, **fields: float) -> None:
    form = page.locator("#add-device")
    form.locator("select[name=kind]").select_option(kind)
    form.locator("input[name=name]").fill(name)
    for key, value in fields.items():
        form.locator(f"input[name={key}]").fill(str(value))
    form.locator("button[type=submit]").click()
    page.locator(f"#device-list li:has-text('{name}')").wait_for()


def page_token(page: Page) -> str:
    token: str = page.evaluate("JSON.parse(sessionStorage.getItem('hems.session')).token")
    return token


def read_flow(page: Page) -> dict[str, object]:
    """The figures the picture shows for one cycle, read at once."""
    result: dict[str, object] = page.evaluate(
        """() => {
          const flow = document.getElementById("flow");
          const out = { cycle: flow.dataset.cycle, readingsCycle: flow.dataset.readingsCycle };
          for (const name of ["production", "consumption", "grid", "battery", "ev"]) {
            const el = document.querySelector(`[data-testid=flow-${name}]`);
            out[name] = { text: el.textContent, value: el.getAttribute("data-value") };
          }
          out.storage = document.getElementById("storage-flow").dataset.value;
          return out;
        }"""
    )
    return result


class TestDashboard:
    def test_register_add_devices_and_see_the_cycle_energy_stats_reports(
        self, hems_server: HemsServer, tab: Tab
    ):
        page = tab.page
        page.goto(f"{hems_server.url}/")
        # An unauthenticated visitor sees the sign-in form and nothing else.
        page.locator("#signin-form").wait_for()
        assert page.locator("#app").is_hidden()
        tab.screenshot("signin.png")

        name = username()
        page.fill("#signin-form input[name=username]", name)
        page.fill("#signin-form input[name=password]", PASSWORD)
        page.click("#signin-form button[value=register]")
        page.locator("#app").wait_for()
        assert page.locator("#who").text_content() == name

        add_device(page, "SOLAR_PANEL", "Roof", panelAreaM2=30, maxCapacityW=6000)
        add_device(page, "GENERATOR", "Backup", ratedPowerW=1500)
        add_device(page, "BATTERY", "Wall battery", capacityWh=13500, initialLevelWh=6750)
        add_device(page, "ELECTRIC_VEHICLE", "Car", batteryCapacityKwh=75, currentChargeKwh=40)
        add_device(page, "HEATER", "Heater", ratedPowerW=2500)
        token = page_token(page)
        me = hems_server.gql("{ me { username timezone } devices { id } }", token=token)
        assert me["me"] == {"username": name, "timezone": "Europe/Berlin"}
        assert len(me["devices"]) == 5

        # The picture and energyStats on the same cycle: the page's numbers are the API's.
        for _ in range(MAX_CYCLES):
            page.wait_for_function(
                """() => { const f = document.getElementById("flow");
                  return f.dataset.cycle && f.dataset.cycle === f.dataset.readingsCycle; }"""
            )
            shown = read_flow(page)
            stats = hems_server.gql(STATS, token=token)["energyStats"]
            same_cycle = stats["timestamp"] == shown["cycle"] == read_flow(page)["cycle"]
            # A cycle with something to draw (the first ones may find every device idle).
            figures = ("currentProduction", "currentConsumption", "storageFlow", "netGridFlow")
            if same_cycle and any(stats[f] != 0 for f in figures):
                break
            page.wait_for_function(
                "c => document.getElementById('flow').dataset.cycle !== c", arg=shown["cycle"]
            )
        else:
            pytest.fail(f"no cycle of {MAX_CYCLES} shown by both the page and energyStats")
        expected = {
            "production": stats["currentProduction"],
            "consumption": stats["currentConsumption"],
            "grid": stats["netGridFlow"],
        }
        for node, value in expected.items():
            figure = shown[node]
            assert isinstance(figure, dict)
            assert float(figure["value"]) == pytest.approx(value, abs=1e-9), node
            assert figure["text"] == watts(value), node
        battery, ev = (shown[n] for n in ("battery", "ev"))
        assert isinstance(battery, dict)
        assert isinstance(ev, dict)
        storage = float(battery["value"]) + float(ev["value"])
        assert storage == pytest.approx(stats["storageFlow"], abs=1e-6)
        assert float(str(shown["storage"])) == pytest.approx(stats["storageFlow"], abs=1e-9)

        # Today's chart: every quarter hour of the home's local day, as energyHistory has it.
        chart = page.locator("#today-chart")
        chart.locator("canvas").first.wait_for()
        start = datetime.fromisoformat(chart.get_attribute("data-from") or "")
        end = datetime.fromisoformat(chart.get_attribute("data-to") or "")
        berlin = ZoneInfo("Europe/Berlin")
        local = start.astimezone(berlin)
        assert (local.hour, local.minute) == (0, 0)
        next_midnight = datetime.combine(local.date() + timedelta(days=1), local.time(), berlin)
        assert end == next_midnight
        buckets = int(chart.get_attribute("data-buckets") or "0")
        assert buckets == (end - start) / timedelta(minutes=15)  # 96, or 92/100 on DST days
        history = hems_server.gql(
            "query($f: DateTime!, $t: DateTime!) { energyHistory(resolution: QUARTER_HOUR,"
            " from: $f, to: $t, first: 100) { edges { cursor } } }",
            {"f": start.isoformat(), "t": end.isoformat()},
            token=token,
        )
        assert buckets == len(history["energyHistory"]["edges"])

        # A control: the EV's mode, through the page.
        car = page.locator("#device-list li:has-text('Car')")
        with page.expect_response(
            lambda r: "setElectricVehicleMode" in (r.request.post_data or "")
        ) as response:
            car.locator("select[name=ev-mode]").select_option("DISCHARGING")
        assert response.value.ok
        vehicles = hems_server.gql(
            "{ devices(kind: ELECTRIC_VEHICLE) { ... on ElectricVehicle { modeSetting } } }",
            token=token,
        )
        assert vehicles["devices"] == [{"modeSetting": "DISCHARGING"}]

        tab.screenshot("dashboard.png")

        # The history view with another resolution.
        page.select_option("#history-form select[name=resolution]", "HOUR")
        page.click("#history-form button[type=submit]")
        page.wait_for_function(
            "() => document.querySelectorAll('#history-table tbody tr').length === 7 * 24 + 1"
        )

        # No token in any address the page used.
        assert all(token not in url for url in [page.url, *tab.requests])
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(300)  # one resize event to redraw the charts
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        tab.screenshot("dashboard-phone.png")

        page.click("#sign-out")
        page.locator("#signin-form").wait_for()
        assert page.evaluate("sessionStorage.getItem('hems.session')") is None


class TestGraphiQL:
    def test_renders_runs_a_query_and_a_subscription_without_leaving_the_host(
        self, hems_server: HemsServer, tab: Tab
    ):
        name = username()
        token = hems_server.gql(
            "mutation($u: String!, $p: String!) { registerUser(username: $u, password: $p)"
            " { token } }",
            {"u": name, "p": PASSWORD},
        )["registerUser"]["token"]
        page = tab.page
        # The headers GraphiQL keeps (shouldPersistHeaders), as if typed in its Headers tab.
        headers = json.dumps({"Authorization": f"Bearer {token}"})
        tab.context.add_init_script(
            f"localStorage.setItem('graphiql:headers', {json.dumps(headers)});"
        )
        page.goto(f"{hems_server.url}/graphql?q={quote('{ me { username } }')}")
        page.locator(".graphiql-query-editor").wait_for()
        page.click(".graphiql-execute-button")
        response = page.locator(".graphiql-response")
        response.get_by_text(name).wait_for()
        tab.screenshot("graphiql.png")

        page.goto(
            f"{hems_server.url}/graphql?q="
            + quote("subscription { energyStats { netGridFlow timestamp } }")
        )
        page.locator(".graphiql-query-editor").wait_for()
        page.click(".graphiql-execute-button")
        response.get_by_text("netGridFlow").wait_for()
        assert "UNAUTHENTICATED" not in (response.text_content() or "")
        assert any(url.startswith("ws://127.0.0.1:") for url in tab.requests)
