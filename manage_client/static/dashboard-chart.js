// The dashboard's chart: tickets issued and served per hour of the day, as bars, drawn by
// uPlot (from the npm registry, copied into ./vendor/ by `make setup`).

import uPlot from "./vendor/uPlot.esm.js";

const FIRST_HOUR = 7; // the hours always shown: a hall's day, 07:00 to 20:00
const LAST_HOUR = 19;

/** The hours to draw: the hall's day, widened to any hour with tickets. */
export function hourRange(issued, served) {
  let first = FIRST_HOUR;
  let last = LAST_HOUR;
  for (let hour = 0; hour < issued.length; hour += 1) {
    if (issued[hour] || served[hour]) {
      first = Math.min(first, hour);
      last = Math.max(last, hour);
    }
  }
  return [first, last];
}

export class HourChart {
  constructor(container) {
    this.container = container;
    this.plot = null;
    this.labels = null;
  }

  /** Draw `issued` and `served` (24 counts each) with the series named by `labels`. */
  draw(issued, served, labels) {
    const [first, last] = hourRange(issued, served);
    const hours = [];
    for (let hour = first; hour <= last; hour += 1) hours.push(hour);
    const data = [hours, hours.map((hour) => issued[hour]), hours.map((hour) => served[hour])];
    const width = Math.max(320, this.container.clientWidth);
    const height = Math.max(180, this.container.clientHeight || 220);
    if (this.plot && this.labels === labels.join("|") && this.plot.width === width && this.plot.height === height) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.labels = labels.join("|");
    const left = uPlot.paths.bars({ size: [0.38, 36], align: -1 });
    const right = uPlot.paths.bars({ size: [0.38, 36], align: 1 });
    this.plot = new uPlot(
      {
        width,
        height,
        legend: { show: true, live: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [first - 0.6, last + 0.6] }, y: { range: (_u, _min, max) => [0, Math.max(4, max + 1)] } },
        axes: [
          { values: (_u, splits) => splits.map((hour) => (Number.isInteger(hour) ? `${hour}:00` : "")), incrs: [1, 2] },
          { incrs: [1, 2, 5, 10, 20, 50, 100], values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : "")) },
        ],
        series: [
          { label: "" },
          { label: labels[0], stroke: "#0b4ea2", fill: "rgba(11, 78, 162, 0.75)", paths: left, points: { show: false } },
          { label: labels[1], stroke: "#1f7a3a", fill: "rgba(31, 122, 58, 0.75)", paths: right, points: { show: false } },
        ],
      },
      data,
      this.container,
    );
  }
}
