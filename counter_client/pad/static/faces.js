// A level's face as SVG (no emoji font needed): a disc in its colour, eyes, a bent mouth,
// brows for the worst.

import { LOOKS } from "./rating.js";

const shape = (tag, attributes) => {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
};

export function face(level) {
  const { colour, smile } = LOOKS[level] ?? LOOKS.basic;
  const svg = shape("svg", { viewBox: "0 0 100 100", class: "face", "aria-hidden": "true" });
  const line = { stroke: "#fff", "stroke-width": 6, fill: "none", "stroke-linecap": "round" };
  const bend = Math.round(smile * 22);
  const y = 66 - bend / 2;
  svg.append(
    shape("circle", { cx: 50, cy: 50, r: 46, fill: colour }),
    shape("circle", { cx: 34, cy: 40, r: 6, fill: "#fff" }),
    shape("circle", { cx: 66, cy: 40, r: 6, fill: "#fff" }),
    shape("path", { d: `M28 ${y} Q50 ${y + bend} 72 ${y}`, ...line }),
  );
  if (smile <= -1) svg.append(shape("path", { d: "M24 26 L42 31 M76 26 L58 31", ...line }));
  return svg;
}
