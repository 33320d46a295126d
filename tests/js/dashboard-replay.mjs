// Not a test of its own: tests/integration/test_dashboard.py runs it with Node. Reads
// {snapshot, events} on stdin, applies the events to the snapshot with the dashboard's
// reducer, and writes the figures (`figuresOf`) on stdout.

import { applyEvent, figuresOf, loadFigures } from "../../manage_client/static/dashboard-figures.js";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { snapshot, events } = JSON.parse(input);
const state = loadFigures(snapshot);
for (const event of events) applyEvent(state, event);
process.stdout.write(JSON.stringify(figuresOf(state)));
