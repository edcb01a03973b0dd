// The energy-flow picture: sun, grid, home, battery and EV around a hub, each joined to it by
// a line with an arrow (direction by the sign of the flow) and its power in watts.
import { percent, watts } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const HUB = { x: 200, y: 150 };
// name -> position, label; `inward` is the sign for which power flows toward the hub.
const NODES = {
  production: { x: 200, y: 42, label: "Solar", inward: 1 },
  grid: { x: 52, y: 150, label: "Grid", inward: 1 },
  consumption: { x: 348, y: 150, label: "Home", inward: -1 },
  battery: { x: 112, y: 262, label: "Battery", inward: -1 },
  ev: { x: 288, y: 262, label: "EV", inward: -1 },
};

function el(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Draw the empty picture into `container`; returns the update function. */
export function flowPicture(container) {
  const svg = el("svg", { viewBox: "0 0 400 310", role: "img", "aria-label": "Energy flow" });
  svg.append(el("circle", { cx: HUB.x, cy: HUB.y, r: 6, class: "hub" }));
  const parts = {};
  for (const [name, node] of Object.entries(NODES)) {
    const group = el("g", { class: `flow-node flow-${name}`, "data-node": name });
    const line = el("line", { x1: node.x, y1: node.y, x2: HUB.x, y2: HUB.y, class: "flow-line" });
    const arrow = el("path", { d: "M -7 -6 L 7 0 L -7 6 z", class: "flow-arrow" });
    const mx = (node.x + HUB.x) / 2;
    const my = (node.y + HUB.y) / 2;
    const value = el("text", {
      x: mx + (node.x === HUB.x ? 10 : 0),
      y: my - (node.y === HUB.y ? 10 : 0),
      class: "flow-value",
      "data-testid": `flow-${name}`,
      "text-anchor": node.x === HUB.x ? "start" : "middle",
    }, "–");
    const circle = el("circle", { cx: node.x, cy: node.y, r: 30, class: "flow-circle" });
    const label = el("text", { x: node.x, y: node.y + 4, class: "flow-label", "text-anchor": "middle" }, node.label);
    const detail = el("text", {
      x: node.x,
      y: node.y + (node.y > HUB.y ? 44 : -38),
      class: "flow-detail",
      "data-testid": `detail-${name}`,
      "text-anchor": "middle",
    }, "");
    group.append(line, arrow, circle, label, value, detail);
    svg.append(group);
    parts[name] = { group, arrow, value, detail, node, mid: { x: mx, y: my } };
  }
  container.replaceChildren(svg);

  /** figures: {production, consumption, grid, battery, ev} in W (signs as API.md), details. */
  return function update(figures, details) {
    for (const [name, part] of Object.entries(parts)) {
      const w = figures[name];
      const known = typeof w === "number";
      part.value.textContent = known ? watts(w) : "–";
      part.value.setAttribute("data-value", known ? String(w) : "");
      const idle = !known || Math.abs(w) < 0.5;
      part.group.classList.toggle("idle", idle);
      part.group.classList.toggle("absent", details[name] === null);
      // Arrow: at the line's middle, pointing toward the hub when the power flows into it.
      const toHub = known && Math.sign(w) === part.node.inward;
      const [fx, fy, tx, ty] = toHub
        ? [part.node.x, part.node.y, HUB.x, HUB.y]
        : [HUB.x, HUB.y, part.node.x, part.node.y];
      const angle = (Math.atan2(ty - fy, tx - fx) * 180) / Math.PI;
      part.arrow.setAttribute("transform", `translate(${part.mid.x} ${part.mid.y}) rotate(${angle})`);
      part.arrow.setAttribute("data-direction", idle ? "none" : toHub ? "in" : "out");
      part.detail.textContent = details[name] || "";
    }
  };
}

/** The storage figures of a kind from device readings: flow (W), level text. */
export function storageSummary(devices, readings, kind, cycle) {
  let flow = 0;
  let level = 0;
  let capacity = 0;
  let count = 0;
  let current = true;
  for (const device of devices) {
    if (device.kind !== kind) continue;
    count += 1;
    const reading = readings.get(device.id);
    if (!reading || !reading.storage) continue;
    if (reading.timestamp !== cycle) current = false;
    flow += reading.storage.flowW;
    level += reading.storage.currentLevelWh;
    capacity += reading.storage.capacityWh;
  }
  return { count, flow, fraction: capacity > 0 ? level / capacity : null, current, text: capacity > 0 ? percent(level / capacity) : "" };
}
