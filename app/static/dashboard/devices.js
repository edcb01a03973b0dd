// The device list (live readings, the controls the server has) and the add-device form.
import { gql, optional } from "./api.js";
import { percent, watts } from "./format.js";

export const LIVE = "live { powerW status timestamp storage { capacityWh currentLevelWh flowW } }";
export const DEVICE_FIELDS = `id name kind ${LIVE}
  ... on ElectricVehicle { mode modeSetting }`;
// Addition (device control, API.md "Device control"): hidden when the server lacks it.
const CONTROL_FIELDS = `id
  ... on Battery { mode reserveSocPercent }
  ... on AirConditioner { on setpointC }
  ... on Heater { on setpointC }`;

const KIND_LABELS = {
  SOLAR_PANEL: "Solar panel",
  GENERATOR: "Generator",
  BATTERY: "Battery",
  ELECTRIC_VEHICLE: "Electric vehicle",
  AIR_CONDITIONER: "Air conditioner",
  HEATER: "Heater",
};

// kind -> create mutation, input type, fields [name, label, default, required]
const CREATE = {
  SOLAR_PANEL: ["createSolarPanel", "SolarPanelInput", [
    ["panelAreaM2", "Panel area (m²)", 30, true],
    ["maxCapacityW", "Peak power (W)", 6000, true],
    ["efficiency", "Efficiency (0-1)", 0.2, false],
  ]],
  GENERATOR: ["createGenerator", "GeneratorInput", [["ratedPowerW", "Rated power (W)", 2000, true]]],
  BATTERY: ["createBattery", "BatteryInput", [
    ["capacityWh", "Capacity (Wh)", 13500, true],
    ["cRate", "C-rate", 0.5, false],
    ["initialLevelWh", "Initial level (Wh)", 6750, false],
  ]],
  ELECTRIC_VEHICLE: ["createElectricVehicle", "ElectricVehicleInput", [
    ["batteryCapacityKwh", "Battery (kWh)", 75, true],
    ["currentChargeKwh", "Charge now (kWh)", 40, false],
    ["chargeRateKw", "Charge rate (kW)", 7.2, false],
  ]],
  AIR_CONDITIONER: ["createAirConditioner", "AirConditionerInput", [["ratedPowerW", "Rated power (W)", 2500, true]]],
  HEATER: ["createHeater", "HeaterInput", [["ratedPowerW", "Rated power (W)", 2000, true]]],
};

function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function liveText(reading) {
  if (!reading) return "no reading yet";
  let text = `${watts(reading.powerW)} · ${reading.status}`;
  if (reading.storage && reading.storage.capacityWh > 0) {
    text += ` · ${percent(reading.storage.currentLevelWh / reading.storage.capacityWh)}`;
  }
  return text;
}

function select(name, options, value, onChange) {
  return h("select", { name, "aria-label": name, onchange: (e) => onChange(e.target.value) },
    ...options.map((o) => h("option", { value: o, selected: o === value }, o)));
}

/**
 * The device panel. `scope()` gives {homeId} of the selected home (null: all homes);
 * `onChange()` is called after a mutation; `report(message)` shows errors.
 */
export function devicePanel({ list, form, scope, onChange, report }) {
  let controls = null; // id -> extension fields, or null when the server has none

  async function loadControls(ids) {
    const data = await optional(`{ devices { ${CONTROL_FIELDS} } }`);
    controls = data ? new Map(data.devices.filter((d) => ids.has(d.id)).map((d) => [d.id, d])) : null;
  }

  async function act(mutation, variables) {
    try {
      await gql(mutation, variables);
      await onChange();
    } catch (error) {
      report(error.message);
    }
  }

  function controlsFor(device) {
    const items = [];
    if (device.kind === "ELECTRIC_VEHICLE") {
      items.push(h("label", {}, "Mode ", select("ev-mode", ["CHARGING", "DISCHARGING", "OFFLINE"], device.modeSetting,
        (mode) => act("mutation($id: ID!, $mode: EVMode!) { setElectricVehicleMode(id: $id, mode: $mode) { id } }", { id: device.id, mode }))));
    }
    const extra = controls && controls.get(device.id);
    if (extra && device.kind === "BATTERY" && extra.mode) {
      items.push(h("label", {}, "Mode ", select("battery-mode", ["SELF_CONSUMPTION", "HOLD", "CHARGE", "OPTIMIZED"], extra.mode,
        (mode) => act("mutation($id: ID!, $mode: BatteryMode!) { setBatteryMode(id: $id, mode: $mode) { id } }", { id: device.id, mode }))));
    }
    if (extra && typeof extra.on === "boolean") {
      items.push(h("label", {}, h("input", { type: "checkbox", name: "thermostat-on", checked: extra.on,
        onchange: (e) => act("mutation($id: ID!, $on: Boolean) { setThermostat(id: $id, on: $on) { id } }", { id: device.id, on: e.target.checked }) }), " on"));
      items.push(h("label", {}, "Setpoint ", h("input", { type: "number", step: "0.5", name: "setpoint", value: extra.setpointC,
        onchange: (e) => act("mutation($id: ID!, $c: Float) { setThermostat(id: $id, setpointC: $c) { id } }", { id: device.id, c: Number(e.target.value) }) }), " °C"));
    }
    items.push(h("button", { type: "button", class: "link danger", onclick: () => {
      if (window.confirm(`Delete ${device.name}?`)) act("mutation($id: ID!) { deleteDevice(id: $id) }", { id: device.id });
    } }, "Delete"));
    return items;
  }

  /** Render the list; `readings` maps id -> latest reading. */
  async function render(devices, readings) {
    await loadControls(new Set(devices.map((d) => d.id))).catch(() => { controls = null; });
    if (!devices.length) {
      list.replaceChildren(h("li", { class: "empty" }, "No devices yet: add one below."));
      return;
    }
    list.replaceChildren(...devices.map((device) => h("li", { "data-device-id": device.id, "data-kind": device.kind },
      h("div", { class: "device-name" }, device.name, h("span", { class: "kind" }, KIND_LABELS[device.kind] || device.kind)),
      h("div", { class: "device-live", "data-testid": "device-live" }, liveText(readings.get(device.id) || device.live)),
      h("div", { class: "device-controls" }, ...controlsFor(device)))));
  }

  /** Update the live cells only (one subscription message). */
  function update(readings) {
    for (const row of list.querySelectorAll("li[data-device-id]")) {
      const cell = row.querySelector(".device-live");
      const reading = readings.get(row.getAttribute("data-device-id"));
      if (reading !== undefined) cell.textContent = liveText(reading);
    }
  }

  // --- add a device
  const kind = form.querySelector("select[name=kind]");
  const fields = form.querySelector(".fields");
  kind.replaceChildren(...Object.keys(CREATE).map((k) => h("option", { value: k }, KIND_LABELS[k])));
  function showFields() {
    const [, , spec] = CREATE[kind.value];
    fields.replaceChildren(...spec.map(([name, label, value, required]) =>
      h("label", {}, label, h("input", { type: "number", step: "any", name, value, required }))));
  }
  kind.addEventListener("change", showFields);
  showFields();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const [mutation, inputType, spec] = CREATE[kind.value];
    const input = { name: form.querySelector("input[name=name]").value.trim() };
    for (const [name] of spec) {
      const raw = form.querySelector(`input[name=${name}]`).value;
      if (raw !== "") input[name] = Number(raw);
    }
    const { homeId } = scope();
    if (homeId) input.homeId = homeId; // addition (homes)
    try {
      await gql(`mutation($input: ${inputType}!) { ${mutation}(input: $input) { id } }`, { input });
      form.querySelector("input[name=name]").value = "";
      await onChange();
    } catch (error) {
      report(error.message);
    }
  });

  return { render, update };
}
