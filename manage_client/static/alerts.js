// The managers' alerts on the dashboard, its pure parts (docs/alerts.md): keeping the list
// as alert events arrive, and wording an alert in the dashboard's language. No DOM.
//
// An alert, as `GET /api/v1/halls/{hall}/alerts` lists it and every `alert_raised`,
// `alert_cleared` and `alert_acknowledged` event carries it (as `event.alert`):
// {id, hall, kind, subject, detail, raised_at, cleared_at, acknowledged_by: {id, name} | null,
//  acknowledged_at, threshold, value}.

export const ALERT_EVENTS = Object.freeze(["alert_raised", "alert_cleared", "alert_acknowledged"]);
export const ALERT_KINDS = Object.freeze(["long_wait", "many_waiting", "window_paused", "device_offline"]);

// {subject} {value} {threshold}: filled in by describeAlert; `subject` is the queue's,
// window's or device's name when the dashboard knows it, else the alert's subject.
export const ALERT_WORDS = Object.freeze({
  "zh-CN": {
    kinds: {
      long_wait: { title: "等候超时", text: "{subject}：最早的等候号已等 {value} 分钟（预警 {threshold} 分钟）" },
      many_waiting: { title: "等候人数过多", text: "{subject}：{value} 人等候（预警 {threshold} 人）" },
      window_paused: { title: "窗口暂停过久", text: "{subject}已暂停 {value} 分钟（预警 {threshold} 分钟）" },
      device_offline: { title: "设备离线", text: "设备“{subject}”已离线 {value} 秒（预警 {threshold} 秒）" },
    },
    states: { open: "未确认", acknowledged: "已确认（{name}）", cleared: "已解除" },
    window: "{subject}号窗口",
  },
  "zh-TW": {
    kinds: {
      long_wait: { title: "等候逾時", text: "{subject}：最早的等候號已等 {value} 分鐘（預警 {threshold} 分鐘）" },
      many_waiting: { title: "等候人數過多", text: "{subject}：{value} 人等候（預警 {threshold} 人）" },
      window_paused: { title: "窗口暫停過久", text: "{subject}已暫停 {value} 分鐘（預警 {threshold} 分鐘）" },
      device_offline: { title: "設備離線", text: "設備「{subject}」已離線 {value} 秒（預警 {threshold} 秒）" },
    },
    states: { open: "未確認", acknowledged: "已確認（{name}）", cleared: "已解除" },
    window: "{subject}號窗口",
  },
  en: {
    kinds: {
      long_wait: { title: "Long wait", text: "{subject}: the oldest ticket has waited {value} min (alert at {threshold} min)" },
      many_waiting: { title: "Many waiting", text: "{subject}: {value} waiting (alert at {threshold})" },
      window_paused: { title: "Window paused", text: "{subject} paused for {value} min (alert at {threshold} min)" },
      device_offline: { title: "Device offline", text: "Device \u201c{subject}\u201d offline for {value} s (alert at {threshold} s)" },
    },
    states: { open: "Not acknowledged", acknowledged: "Acknowledged ({name})", cleared: "Cleared" },
    window: "Window {subject}",
  },
});

function newestFirst(a, b) {
  if (a.raised_at !== b.raised_at) return a.raised_at < b.raised_at ? 1 : -1;
  return b.id - a.id;
}

// A later view never loses what an earlier one knew: once cleared or acknowledged, it stays so
// (an event that arrives twice around a reconnect, or a list read before an event).
function merged(held, incoming) {
  if (!held) return { ...incoming };
  return {
    ...held,
    ...incoming,
    cleared_at: incoming.cleared_at ?? held.cleared_at ?? null,
    acknowledged_by: incoming.acknowledged_by ?? held.acknowledged_by ?? null,
    acknowledged_at: incoming.acknowledged_at ?? held.acknowledged_at ?? null,
  };
}

// The list after one hall event: a new array (the old one is left as it was), keyed by id,
// newest first. Any other event gives the same array back.
export function applyAlertEvent(alerts, event) {
  if (!event || !ALERT_EVENTS.includes(event.type) || !event.alert || typeof event.alert.id !== "number") {
    return alerts;
  }
  const incoming = event.alert;
  const held = alerts.find((alert) => alert.id === incoming.id);
  const others = alerts.filter((alert) => alert.id !== incoming.id);
  return [...others, merged(held, incoming)].sort(newestFirst);
}

// The open alerts of a list (not cleared), in its order.
export function openAlerts(alerts) {
  return alerts.filter((alert) => alert.cleared_at === null || alert.cleared_at === undefined);
}

export function alertState(alert) {
  if (alert.cleared_at) return "cleared";
  return alert.acknowledged_at ? "acknowledged" : "open";
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

// What the dashboard shows of an alert: {title, text, state, stateText}. `words`: one
// language of ALERT_WORDS; `names` (optional): {queues: {code: name}, windows: {number:
// name}, devices: {id: name}} to name the subject. Without a name, a queue or device goes by
// its code or id; an unknown kind by the server's own `detail`.
export function describeAlert(alert, words, names = {}) {
  const state = alertState(alert);
  const stateText = fill(words.states[state], { name: alert.acknowledged_by ? alert.acknowledged_by.name : "" });
  const kind = words.kinds[alert.kind];
  if (!kind) return { title: alert.kind, text: alert.detail, state, stateText };
  let subject = alert.subject;
  if (alert.kind === "long_wait" || alert.kind === "many_waiting") {
    subject = names.queues?.[alert.subject] ?? subject;
  } else if (alert.kind === "window_paused") {
    subject = names.windows?.[alert.subject] ?? fill(words.window, { subject });
  } else if (alert.kind === "device_offline") {
    subject = names.devices?.[alert.subject] ?? subject;
  }
  const text = fill(kind.text, { subject, value: alert.value, threshold: alert.threshold });
  return { title: kind.title, text, state, stateText };
}
