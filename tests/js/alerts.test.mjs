// The dashboard's alerts, their pure parts (manage_client/static/alerts.js): the list kept
// from alert events, keyed by id and newest first, and an alert worded in each language.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { ALERT_KINDS, ALERT_WORDS, alertState, applyAlertEvent, describeAlert, openAlerts } from "../../manage_client/static/alerts.js";

function alert(id, raisedAt, more = {}) {
  return {
    id,
    hall: "demo",
    kind: "long_wait",
    subject: "household",
    detail: "公安户政：最早的等候号已等 31 分钟（预警 30 分钟）",
    raised_at: raisedAt,
    cleared_at: null,
    acknowledged_by: null,
    acknowledged_at: null,
    threshold: 30,
    value: 31,
    ...more,
  };
}

function event(type, view, seq = 1) {
  return { hall: "demo", seq, type, at: view.raised_at, service_day: "2026-11-23", alert: view };
}

describe("applyAlertEvent", () => {
  test("a raised alert joins the list, newest first, and the old list is left as it was", () => {
    const first = alert(1, "2026-11-23T02:31:00.000Z");
    const second = alert(2, "2026-11-23T02:40:00.000Z", { kind: "window_paused", subject: "14" });
    const before = applyAlertEvent([], event("alert_raised", first));
    const after = applyAlertEvent(before, event("alert_raised", second, 2));
    assert.deepEqual(after.map((a) => a.id), [2, 1]);
    assert.deepEqual(before.map((a) => a.id), [1]);
  });

  test("alerts raised in the same instant go by id, the higher first", () => {
    const at = "2026-11-23T02:31:00.000Z";
    const list = [alert(3, at), alert(5, at), alert(4, at)].reduce((held, a) => applyAlertEvent(held, event("alert_raised", a)), []);
    assert.deepEqual(list.map((a) => a.id), [5, 4, 3]);
  });

  test("acknowledged then cleared: one entry, keyed by id, that keeps both", () => {
    const raised = alert(1, "2026-11-23T02:31:00.000Z");
    const acknowledged = { ...raised, acknowledged_by: { id: 2, name: "王经理" }, acknowledged_at: "2026-11-23T02:32:00.000Z" };
    const cleared = { ...raised, cleared_at: "2026-11-23T02:35:00.000Z" }; // written by the timer before it heard
    let list = applyAlertEvent([], event("alert_raised", raised));
    list = applyAlertEvent(list, event("alert_acknowledged", acknowledged, 2));
    list = applyAlertEvent(list, event("alert_cleared", cleared, 3));
    assert.equal(list.length, 1);
    assert.equal(list[0].cleared_at, cleared.cleared_at);
    assert.deepEqual(list[0].acknowledged_by, acknowledged.acknowledged_by);
    assert.equal(alertState(list[0]), "cleared");
    assert.deepEqual(openAlerts(list), []);
  });

  test("an event that arrives again around a reconnect does not reopen a cleared alert", () => {
    const raised = alert(1, "2026-11-23T02:31:00.000Z");
    let list = applyAlertEvent([], event("alert_cleared", { ...raised, cleared_at: "2026-11-23T02:35:00.000Z" }));
    list = applyAlertEvent(list, event("alert_raised", raised));
    assert.equal(alertState(list[0]), "cleared");
  });

  test("any other event, or one without an alert, gives the same list back", () => {
    const list = [alert(1, "2026-11-23T02:31:00.000Z")];
    assert.equal(applyAlertEvent(list, { type: "ticket_called", seq: 9 }), list);
    assert.equal(applyAlertEvent(list, { type: "alert_raised" }), list);
    assert.equal(applyAlertEvent(list, null), list);
  });
});

describe("describeAlert", () => {
  test("every language words every kind, with a title, a text and each state", () => {
    for (const [language, words] of Object.entries(ALERT_WORDS)) {
      for (const kind of ALERT_KINDS) {
        const shown = describeAlert(alert(1, "2026-11-23T02:31:00.000Z", { kind, value: 17, threshold: 9 }), words);
        assert.ok(shown.title && shown.title !== kind, `${language} ${kind}`);
        assert.ok(shown.text.includes("17") && shown.text.includes("9") && !shown.text.includes("{"), `${language} ${kind}: ${shown.text}`);
      }
      assert.deepEqual(Object.keys(words.states).sort(), ["acknowledged", "cleared", "open"]);
    }
  });

  test("the subject goes by the name the dashboard knows, else by its code or number", () => {
    const names = { queues: { household: "公安户政" }, windows: { 14: "户政1号窗口" }, devices: { 7: "一楼大厅屏" } };
    const words = ALERT_WORDS["zh-CN"];
    assert.equal(describeAlert(alert(1, "x"), words, names).text, "公安户政：最早的等候号已等 31 分钟（预警 30 分钟）");
    assert.match(describeAlert(alert(1, "x"), words).text, /^household：/);
    const paused = alert(2, "x", { kind: "window_paused", subject: "14", value: 16, threshold: 15 });
    assert.match(describeAlert(paused, words, names).text, /^户政1号窗口已暂停 16 分钟/);
    assert.match(describeAlert(paused, ALERT_WORDS.en).text, /^Window 14 paused for 16 min/);
    const offline = alert(3, "x", { kind: "device_offline", subject: "7", value: 121, threshold: 120 });
    assert.match(describeAlert(offline, ALERT_WORDS["zh-TW"], names).text, /一楼大厅屏/);
  });

  test("the state says who acknowledged; an unknown kind shows the server's own words", () => {
    const acknowledged = alert(1, "x", { acknowledged_by: { id: 2, name: "王经理" }, acknowledged_at: "y" });
    assert.equal(describeAlert(acknowledged, ALERT_WORDS["zh-CN"]).stateText, "已确认（王经理）");
    assert.equal(describeAlert(alert(1, "x"), ALERT_WORDS.en).stateText, "Not acknowledged");
    const unknown = alert(4, "x", { kind: "queue_closed", detail: "服务器的说明" });
    assert.equal(describeAlert(unknown, ALERT_WORDS.en).text, "服务器的说明");
  });
});
