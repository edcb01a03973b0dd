// Energy per bucket as a uPlot chart: production, consumption, battery (charged - discharged)
// and grid (imported - exported), in kWh per bucket.
import uPlot from "/static/vendor/uplot/uPlot.esm.js";

const SERIES = [
  { label: "Production", stroke: "#e0a800", fill: "rgba(224,168,0,0.15)" },
  { label: "Consumption", stroke: "#d9534f" },
  { label: "Battery", stroke: "#2a9d8f" },
  { label: "Grid", stroke: "#5b6ee1" },
];

/** Columns for uPlot from EnergyBucket nodes. */
export function columns(buckets) {
  const x = [];
  const series = SERIES.map(() => []);
  for (const b of buckets) {
    x.push(new Date(b.start).getTime() / 1000);
    series[0].push(b.producedWh / 1000);
    series[1].push(b.consumedWh / 1000);
    series[2].push((b.chargedWh - b.dischargedWh) / 1000);
    series[3].push(b.netGridWh / 1000);
  }
  return [x, ...series];
}

/** A chart in `container` (replaced on every call), axis labels in `timeZone`. */
export function energyChart(container, buckets, timeZone, previous) {
  if (previous) previous.destroy();
  container.replaceChildren();
  const width = Math.max(container.clientWidth || 0, 280);
  return new uPlot(
    {
      width,
      height: 240,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
      scales: { x: { time: true } },
      axes: [{}, { label: "kWh", size: 56 }],
      series: [{}, ...SERIES.map((s) => ({ ...s, width: 2, points: { show: false } }))],
      legend: { live: true },
    },
    columns(buckets),
    container,
  );
}
