// The dashboard's reducer (manage_client/static/dashboard-figures.js): events in, figures
// out, by the rules of queue_server/domain/dashboard.py. tests/integration/test_dashboard.py
// checks the same reducer against the server's own snapshots.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  applyEvent,
  applyPresence,
  devicesByKind,
  figuresOf,
  loadFigures,
  localHour,
  oldestWaitMs,
  waitingCount,
  windowState,
} from "../../manage_client/static/dashboard-figures.js";

const zeros = () => Array.from({ length: 24 }, () => 0);
const DAY = "2026-11-23";

function snapshot() {
  return {
    hall: { code: "demo", name: "示范", timezone: "Asia/Shanghai" },
    service_day: DAY,
    notice: "",
    seq: 10,
    queues: [
      { code: "comprehensive", name: "综合受理", prefix: "A", wait_threshold_minutes: 30, waiting: 0, waiting_tickets: [], issued_by_hour: zeros(), served_by_hour: zeros(), waits: 0, wait_total_ms: 0, longest_wait_ms: 0 },
    ],
    windows: [{ number: 1, name: "1号窗口", zone: "1f", status: "open", state: "idle", clerk: "王芳", clerk_number: "C001", ticket: null, ticket_id: null, ticket_status: null, since: "2026-11-23T01:00:00.000Z" }],
    devices: [
      { id: 1, kind: "kiosk", name: "取号机", window: null, station: null, online: false, last_seen: null },
      { id: 2, kind: "hall_screen", name: "综合屏", window: null, station: null, online: true, last_seen: "2026-11-23T01:00:00.000Z" },
    ],
    ratings: { finished: 0, rated: 0, citizen_rated: 0, good: 0, bad: 0 },
    cases: [],
  };
}

const ticket = (status, extra = {}) => ({ id: 7, ref: "r", number: "A001", queue: "comprehensive", queue_name: "综合受理", status, priority: false, issued_at: "2026-11-23T02:00:00.000Z", first_called_at: null, ...extra });
const window1 = { number: 1, name: "1号窗口", zone: "1f" };

test("an issued ticket waits, is counted in its local hour, and ages by the clock", () => {
  const state = loadFigures(snapshot());
  applyEvent(state, { seq: 11, type: "ticket_issued", at: "2026-11-23T02:00:00.000Z", service_day: DAY, ticket: ticket("waiting") });
  assert.equal(waitingCount(state, "comprehensive"), 1);
  assert.equal(figuresOf(state).queues[0].issued_by_hour[10], 1); // 02:00 UTC is 10:00 in Shanghai
  assert.equal(oldestWaitMs(state, "comprehensive", Date.parse("2026-11-23T02:07:00.000Z")), 7 * 60000);
});

test("a wait is counted at the first call only; a recall or a second call does not count again", () => {
  const state = loadFigures(snapshot());
  const at = "2026-11-23T02:04:00.000Z";
  const called = ticket("called", { first_called_at: at });
  applyEvent(state, { seq: 11, type: "ticket_called", at, service_day: DAY, ticket: called, window: window1 });
  applyEvent(state, { seq: 12, type: "ticket_recalled", at: "2026-11-23T02:05:00.000Z", service_day: DAY, ticket: called, window: window1 });
  applyEvent(state, { seq: 13, type: "ticket_called", at: "2026-11-23T02:09:00.000Z", service_day: DAY, ticket: called, window: window1 });
  const queue = figuresOf(state).queues[0];
  assert.deepEqual([queue.waits, queue.wait_total_ms, queue.longest_wait_ms], [1, 4 * 60000, 4 * 60000]);
  const window = figuresOf(state).windows[0];
  assert.deepEqual([window.state, window.ticket, window.since], ["serving", "A001", "2026-11-23T02:09:00.000Z"]);
});

test("a window's since moves when it changes state or ticket, not when service starts", () => {
  const state = loadFigures(snapshot());
  const called = ticket("called", { first_called_at: "2026-11-23T02:04:00.000Z" });
  applyEvent(state, { seq: 11, type: "ticket_called", at: "2026-11-23T02:04:00.000Z", ticket: called, window: window1 });
  applyEvent(state, { seq: 12, type: "service_started", at: "2026-11-23T02:05:00.000Z", ticket: ticket("serving"), window: window1 });
  assert.equal(figuresOf(state).windows[0].since, "2026-11-23T02:04:00.000Z");
  assert.equal(figuresOf(state).windows[0].ticket_status, "serving");
  applyEvent(state, { seq: 13, type: "service_finished", at: "2026-11-23T02:15:00.000Z", ticket: ticket("done"), window: window1 });
  const after = figuresOf(state);
  assert.deepEqual([after.windows[0].state, after.windows[0].since], ["idle", "2026-11-23T02:15:00.000Z"]);
  assert.equal(after.queues[0].served_by_hour[10], 1);
  assert.equal(after.ratings.finished, 1);
  const paused = { ...window1, status: "paused", clerk: "王芳", clerk_number: "C001", ticket: null, ticket_status: null, ticket_ref: null, ticket_id: null };
  applyEvent(state, { seq: 14, type: "window_paused", at: "2026-11-23T02:20:00.000Z", window: paused });
  assert.equal(windowState(state.windows[0].status, state.windows[0].ticket), "paused");
});

test("an event already in the figures is dropped, and a new day starts from nothing", () => {
  const state = loadFigures(snapshot());
  assert.equal(applyEvent(state, { seq: 10, type: "ticket_issued", at: "2026-11-23T02:00:00.000Z", ticket: ticket("waiting") }).applied, false);
  applyEvent(state, { seq: 11, type: "ticket_issued", at: "2026-11-23T02:00:00.000Z", ticket: ticket("waiting") });
  applyEvent(state, { seq: 12, type: "day_started", at: "2026-11-23T19:00:00.000Z", service_day: "2026-11-24" });
  const figures = figuresOf(state);
  assert.deepEqual([figures.service_day, figures.queues[0].issued, figures.queues[0].waiting], ["2026-11-24", 0, 0]);
  assert.deepEqual([figures.windows[0].state, figures.windows[0].since], ["closed", null]);
  assert.equal(applyEvent(state, { seq: 13, type: "hall_updated", at: "2026-11-23T19:01:00.000Z" }).reload, true);
});

test("ratings of today's tickets count; cases open and close", () => {
  const state = loadFigures(snapshot());
  applyEvent(state, { seq: 11, type: "rating_recorded", rating: { service_day: DAY, level: "very_dissatisfied", channel: "pad" }, window: window1 });
  applyEvent(state, { seq: 12, type: "rating_recorded", rating: { service_day: "2026-11-20", level: "satisfied", channel: "phone" } });
  assert.deepEqual(figuresOf(state).ratings, { finished: 0, rated: 1, citizen_rated: 1, good: 0, bad: 1 });
  const brief = { id: 3, ticket_number: "A001", window: 1, state: "open", overdue: false, opened_at: "2026-11-23T02:30:00.000Z" };
  applyEvent(state, { seq: 13, type: "review_case_opened", case: brief, window: window1 });
  assert.deepEqual(figuresOf(state).cases, [3]);
  applyEvent(state, { seq: 14, type: "review_case_updated", case: { ...brief, state: "closed" }, action: "close", window: window1 });
  assert.deepEqual(figuresOf(state).cases, []);
});

test("devices come online and go offline by their presence events", () => {
  const state = loadFigures(snapshot());
  assert.deepEqual(devicesByKind(state), { kiosk: { online: 0, offline: 1 }, hall_screen: { online: 1, offline: 0 } });
  applyPresence(state, { hall: "demo", device: { id: 1, online: true, last_seen: "2026-11-23T02:00:00.000Z" } });
  applyPresence(state, { hall: "demo", device: { id: 2, online: false, last_seen: "2026-11-23T02:01:00.000Z" } });
  assert.deepEqual(devicesByKind(state), { kiosk: { online: 1, offline: 0 }, hall_screen: { online: 0, offline: 1 } });
  assert.equal(localHour("2026-11-23T15:59:59.000Z", "Asia/Shanghai"), 23);
});
