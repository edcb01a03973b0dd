// The HEMS dashboard: sign in, then the selected home's live energy flow, today's chart, the
// devices with their controls, and the history. Additions for API extensions (homes, cost,
// device controls, refresh tokens) are marked "Addition" and hide themselves when the server
// does not have them.
import { GraphQLError, gql, optional, register, scheduleRenewal, session, signIn, signOut, subscribe } from "./api.js";
import { energyChart } from "./chart.js";
import { DEVICE_FIELDS, devicePanel } from "./devices.js";
import { flowPicture, storageSummary } from "./flow.js";
import { clock, isoDate, localDate, localDay, localMidnight, money, parseIsoDate, wattHours, watts } from "./format.js";
import { loadHistory } from "./history.js";

const $ = (id) => document.getElementById(id);
const STATS = "currentProduction currentConsumption storageFlow netGridFlow timestamp";
const READING = "powerW status timestamp storage { capacityWh currentLevelWh flowW }";
const TODAY_REFRESH_MS = 60_000;

const state = {
  user: null,
  homes: null, // Addition (homes): [{id, name, timezone}] when the server has homes
  homeId: null,
  devices: [],
  readings: new Map(),
  stats: null,
  costs: true, // Addition (tariffs): false once the server turned the cost fields down
  unsubscribe: [],
  charts: {},
  todayLoadedAt: 0,
  todayRange: null,
};

function report(text) {
  const message = $("message");
  message.textContent = text || "";
  message.hidden = !text;
}

function timeZone() {
  const home = state.homes && state.homes.find((h) => h.id === state.homeId);
  return (home && home.timezone) || (state.user && state.user.timezone) || "UTC";
}

// --- sign-in --------------------------------------------------------------------------

function showSignIn(text) {
  stopLive();
  $("app").hidden = true;
  $("signin").hidden = false;
  $("sign-out").hidden = true;
  $("who").hidden = true;
  $("live-state").hidden = true;
  $("home-picker").hidden = true;
  report(text);
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const username = form.username.value.trim();
  const password = form.password.value;
  const action = event.submitter ? event.submitter.value : "signin";
  report("");
  try {
    await (action === "register" ? register(username, password) : signIn(username, password));
    form.password.value = "";
    await startApp();
  } catch (error) {
    report(error.message);
  }
});

$("sign-out").addEventListener("click", async () => {
  await signOut();
  showSignIn("");
});

// --- the signed-in view --------------------------------------------------------------

async function startApp() {
  let data;
  try {
    data = await gql("{ me { id username timezone } }");
  } catch (error) {
    session.clear();
    showSignIn(error instanceof GraphQLError && error.has("UNAUTHENTICATED") ? "Please sign in again." : error.message);
    return;
  }
  state.user = data.me;
  $("signin").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = false;
  $("who").hidden = false;
  $("who").textContent = state.user.username;
  scheduleRenewal();
  await loadHomes();
  await selectHome(state.homeId);
}

// Addition (homes): the picker appears when the server has `homes`.
async function loadHomes() {
  const data = await optional("{ homes { id name timezone } }").catch(() => null);
  state.homes = data ? data.homes : null;
  const picker = $("home-picker");
  if (!state.homes || !state.homes.length) {
    picker.hidden = true;
    state.homeId = null;
    return;
  }
  const select = $("home-select");
  const options = [["", "All homes"], ...state.homes.map((h) => [h.id, h.name])];
  select.replaceChildren(...options.map(([value, label]) => new Option(label, value, false, value === (state.homeId || ""))));
  if (state.homes.length === 1) {
    state.homeId = state.homes[0].id;
    select.value = state.homeId;
  }
  picker.hidden = false;
}

$("home-select").addEventListener("change", (event) => selectHome(event.target.value || null));

async function selectHome(homeId) {
  state.homeId = homeId;
  state.stats = null;
  state.readings = new Map();
  state.todayLoadedAt = 0;
  stopLive();
  await loadDevices();
  startLive();
  setHistoryDefaults();
  await Promise.all([loadToday(), loadCost(), showHistory()]);
}

// --- devices --------------------------------------------------------------------------

const panel = devicePanel({
  list: $("device-list"),
  form: $("add-device"),
  scope: () => ({ homeId: state.homeId }),
  onChange: async () => {
    await loadDevices();
    renderFlow();
  },
  report,
});

async function loadDevices() {
  const data = state.homeId
    ? await gql(`query($id: ID!) { home(id: $id) { devices { ${DEVICE_FIELDS} } } }`, { id: state.homeId })
    : await gql(`{ devices { ${DEVICE_FIELDS} } }`);
  state.devices = state.homeId ? data.home.devices : data.devices;
  for (const device of state.devices) {
    if (device.live && !state.readings.has(device.id)) state.readings.set(device.id, device.live);
  }
  await panel.render(state.devices, state.readings);
}

// --- live figures ---------------------------------------------------------------------

let updateFlow = null;

function stopLive() {
  for (const unsubscribe of state.unsubscribe) unsubscribe();
  state.unsubscribe = [];
}

function liveState(text) {
  const badge = $("live-state");
  badge.hidden = false;
  badge.textContent = text;
  badge.dataset.state = text;
}

function startLive() {
  const statsQuery = state.homeId
    ? `subscription($homeId: ID!) { stats: homeEnergyStats(homeId: $homeId) { ${STATS} } }`
    : `subscription { stats: energyStats { ${STATS} } }`;
  const onError = (error) => report(`Live updates stopped: ${error.message || error}`);
  state.unsubscribe.push(
    subscribe(statsQuery, state.homeId ? { homeId: state.homeId } : {}, {
      onData: (data) => {
        state.stats = data.stats;
        renderFlow();
        onCycle();
      },
      onError,
      onState: liveState,
    }),
    subscribe(`subscription { readings: deviceReadings { deviceId reading { ${READING} } } }`, {}, {
      onData: (data) => {
        const known = new Set(state.devices.map((d) => d.id));
        let unknown = false;
        for (const { deviceId, reading } of data.readings) {
          state.readings.set(deviceId, reading);
          // A device added elsewhere (GraphiQL, another tab) of this home or, without homes, ours.
          if (!known.has(deviceId) && !state.homeId) unknown = true;
        }
        panel.update(state.readings);
        renderFlow();
        if (unknown) loadDevices().then(renderFlow).catch(() => {});
      },
      onError,
      onState: liveState,
    }),
  );
}

function renderFlow() {
  const container = $("flow");
  if (!updateFlow) updateFlow = flowPicture(container);
  const stats = state.stats;
  const cycle = stats ? stats.timestamp : null;
  const battery = storageSummary(state.devices, state.readings, "BATTERY", cycle);
  const ev = storageSummary(state.devices, state.readings, "ELECTRIC_VEHICLE", cycle);
  const evs = state.devices.filter((d) => d.kind === "ELECTRIC_VEHICLE");
  // One vehicle: what it does now (its reading's status, e.g. "offline" while away), else its mode.
  const evReading = evs.length === 1 ? state.readings.get(evs[0].id) : null;
  const evMode = evs.length === 1 ? (evReading ? evReading.status : evs[0].mode.toLowerCase()) : evs.length ? `${evs.length} vehicles` : "";
  const figures = stats && cycle
    ? { production: stats.currentProduction, consumption: stats.currentConsumption, grid: stats.netGridFlow, battery: battery.flow, ev: ev.flow }
    : {};
  updateFlow(figures, {
    production: "",
    consumption: "",
    grid: stats && cycle ? (stats.netGridFlow > 0 ? "importing" : stats.netGridFlow < 0 ? "exporting" : "") : "",
    battery: battery.count ? battery.text : null,
    ev: ev.count ? [ev.text, evMode].filter(Boolean).join(" · ") : null,
  });
  container.dataset.cycle = cycle || "";
  // The storage readings' cycle: equal to the figures' once both messages of a cycle arrived.
  container.dataset.readingsCycle = battery.current && ev.current ? cycle || "" : "";
  $("cycle").textContent = cycle ? `cycle ${clock(cycle, timeZone())}` : "waiting for the first simulation cycle";
  $("storage-flow").textContent = stats && cycle
    ? `${watts(stats.storageFlow)} ${stats.storageFlow > 0 ? "charging" : stats.storageFlow < 0 ? "discharging" : ""}`.trim()
    : "–";
  $("storage-flow").dataset.value = stats && cycle ? String(stats.storageFlow) : "";
}

function onCycle() {
  loadCost();
  const now = Date.now();
  const dayOver = state.todayRange && now >= state.todayRange[1];
  if (dayOver || now - state.todayLoadedAt >= TODAY_REFRESH_MS) loadToday();
}

// --- today's chart --------------------------------------------------------------------

async function loadToday() {
  const tz = timeZone();
  const [from, to] = localDay(tz, Date.now());
  state.todayLoadedAt = Date.now();
  state.todayRange = [from, to];
  try {
    const { buckets } = await loadHistory({ resolution: "QUARTER_HOUR", from: new Date(from), to: new Date(to), homeId: state.homeId, withCost: false });
    const container = $("today-chart");
    state.charts.today = energyChart(container, buckets, tz, state.charts.today);
    container.dataset.buckets = String(buckets.length);
    container.dataset.from = new Date(from).toISOString();
    container.dataset.to = new Date(to).toISOString();
    $("today-range").textContent = `${isoDate(localDate(tz, from))} · ${tz}`;
    const sum = (key) => buckets.reduce((total, b) => total + b[key], 0);
    $("today-totals").textContent = `Produced ${wattHours(sum("producedWh"))} · consumed ${wattHours(sum("consumedWh"))} · imported ${wattHours(sum("importedWh"))} · exported ${wattHours(sum("exportedWh"))}`;
  } catch (error) {
    report(error.message);
  }
}

// --- Addition (tariffs and cost): cost today and the current price -----------------------

async function loadCost() {
  const card = $("cost-card");
  if (!state.costs) return;
  const fields = "currency costToday costRatePerHour importPricePerKwh exportPricePerKwh";
  const data = await (state.homeId
    ? optional(`query($id: ID!) { home(id: $id) { energyStats { ${fields} } } }`, { id: state.homeId })
    : optional(`{ energyStats { ${fields} } }`)
  ).catch(() => null);
  if (data === null) {
    state.costs = false;
    card.hidden = true;
    return;
  }
  const stats = state.homeId ? data.home.energyStats : data.energyStats;
  if (!stats.currency) {
    card.hidden = true; // no tariff set (or homes with different currencies together)
    return;
  }
  const show = (id, value, suffix = "") => {
    $(id).textContent = value === null || value === undefined ? "–" : `${money(value, stats.currency)}${suffix}`;
  };
  show("cost-today", stats.costToday);
  show("cost-rate", stats.costRatePerHour, " / h");
  show("price-import", stats.importPricePerKwh, " / kWh");
  show("price-export", stats.exportPricePerKwh, " / kWh");
  card.hidden = false;
}

// --- history --------------------------------------------------------------------------

function setHistoryDefaults() {
  const form = $("history-form");
  const tz = timeZone();
  const today = localDate(tz, Date.now());
  const weekAgo = new Date(Date.UTC(today.year, today.month - 1, today.day - 6));
  form.from.value = isoDate({ year: weekAgo.getUTCFullYear(), month: weekAgo.getUTCMonth() + 1, day: weekAgo.getUTCDate() });
  form.to.value = isoDate(today);
}

$("history-form").addEventListener("submit", (event) => {
  event.preventDefault();
  showHistory();
});

async function showHistory() {
  const form = $("history-form");
  const tz = timeZone();
  const from = localMidnight(tz, parseIsoDate(form.from.value));
  const last = parseIsoDate(form.to.value);
  const after = new Date(Date.UTC(last.year, last.month - 1, last.day + 1));
  const to = localMidnight(tz, { year: after.getUTCFullYear(), month: after.getUTCMonth() + 1, day: after.getUTCDate() });
  if (!(to > from)) {
    report("History: the end date must not be before the start date.");
    return;
  }
  try {
    const { buckets, costs } = await loadHistory({ resolution: form.resolution.value, from: new Date(from), to: new Date(to), homeId: state.homeId });
    state.charts.history = energyChart($("history-chart"), buckets, tz, state.charts.history);
    renderHistoryTable(buckets, costs, tz, form.resolution.value);
  } catch (error) {
    report(error.message);
  }
}

function renderHistoryTable(buckets, costs, tz, resolution) {
  const table = $("history-table");
  const columns = [["producedWh", "Produced"], ["consumedWh", "Consumed"], ["chargedWh", "Charged"], ["dischargedWh", "Discharged"], ["importedWh", "Imported"], ["exportedWh", "Exported"]];
  const withDate = resolution !== "QUARTER_HOUR" || buckets.length > 96;
  const row = (cells, tag = "td") => {
    const tr = document.createElement("tr");
    for (const text of cells) {
      const cell = document.createElement(tag);
      cell.textContent = text;
      tr.append(cell);
    }
    return tr;
  };
  const header = ["Start", ...columns.map(([, label]) => label), ...(costs ? ["Net cost"] : [])];
  const rows = buckets.map((b) => row([
    clock(b.start, tz, withDate),
    ...columns.map(([key]) => wattHours(b[key])),
    ...(costs ? [b.netCost.toFixed(2)] : []),
  ]));
  const totals = row(["Total", ...columns.map(([key]) => wattHours(buckets.reduce((t, b) => t + b[key], 0))),
    ...(costs ? [buckets.reduce((t, b) => t + b.netCost, 0).toFixed(2)] : [])]);
  totals.className = "total";
  const thead = document.createElement("thead");
  thead.append(row(header, "th"));
  const tbody = document.createElement("tbody");
  tbody.append(...rows, totals);
  table.replaceChildren(thead, tbody);
}

window.addEventListener("resize", () => {
  for (const [name, chart] of Object.entries(state.charts)) {
    const container = $(name === "today" ? "today-chart" : "history-chart");
    if (chart) chart.setSize({ width: Math.max(container.clientWidth, 280), height: 240 });
  }
});

// --- start ----------------------------------------------------------------------------

if (session.load()) startApp();
else showSignIn("");
