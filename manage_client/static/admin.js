// The administration page (/manage/admin): the hall's devices (register, with the token
// and address shown once and a QR code of the address; revoke, after asking) and, for
// administrators, the accounts (create, disable or enable, reset the password, change
// the role, unlock). Everything goes through /api/v1; a refusal shows the server's own
// sentence (problem+json `detail`) and marks the field it names.

import { Translator } from "/pages/static/i18n.js";
import { signInAddress } from "/pages/static/session.js";
import { startStaffPage } from "/pages/static/staff-page.js";
import { drawQr } from "/ticket-printer/static/qr.js";
import { WORDS } from "./admin-words.js";

const words = new Translator(WORDS, { storageKey: "hallQueue.staffLanguage" });
const $ = (testid, root = document) => root.querySelector(`[data-testid="${testid}"]`);
const WINDOW_KINDS = new Set(["window_screen", "review_pad"]);
const STATION_KINDS = new Set(["printer", "kiosk"]);
const LINKED_KINDS = new Set(["hall_screen", "window_screen", "kiosk", "review_pad", "printer"]);
const state = { api: null, me: null, halls: [], hall: null, devices: [], users: [], registered: null };
const diagnostics = { state: "loading", message: null };
window.hallQueue = diagnostics;

function element(tag, { text, testid, className, dataset } = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (testid) node.dataset.testid = testid;
  if (className) node.className = className;
  Object.assign(node.dataset, dataset ?? {});
  return node;
}

function when(iso) {
  if (!iso) return words.t("never");
  return new Date(iso).toLocaleString(words.current, {
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });
}

// ---- messages ---------------------------------------------------------------------------

function say(title, detail = "", kind = "error") {
  const box = $("message");
  box.hidden = false;
  box.dataset.kind = kind;
  $("message-title").textContent = title;
  $("message-detail").textContent = detail;
  diagnostics.message = `${title} ${detail}`.trim();
}

function quiet() {
  $("message").hidden = true;
  diagnostics.message = null;
  for (const marked of document.querySelectorAll("[aria-invalid]")) marked.removeAttribute("aria-invalid");
}

/** A refusal: its title by status, the server's sentence, the field it names marked in `form`. */
function refused(answer, form = null, shown = say) {
  if (answer.network && !answer.problem?.detail) {
    shown(words.t("network"));
    return;
  }
  if (answer.status === 401) {
    location.assign(signInAddress(location.pathname));
    return;
  }
  const problem = answer.problem ?? {};
  const title = WORDS["zh-CN"][`problem_${answer.status}`] ? words.t(`problem_${answer.status}`) : words.t("problem_other");
  shown(title, problem.detail ?? "");
  const field = problem.field && form ? form.querySelector(`[name="${CSS.escape(problem.field)}"]`) : null;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

// ---- devices ----------------------------------------------------------------------------

async function loadDevices() {
  if (!state.hall) return;
  const revoked = $("show-revoked").checked ? "true" : "false";
  const answer = await state.api.get(`/halls/${encodeURIComponent(state.hall)}/devices?revoked=${revoked}`);
  if (!answer.ok) return refused(answer);
  state.devices = answer.data.devices;
  drawDevices();
}

function boundTo(device) {
  if (device.window) return words.t("window_n", { n: device.window });
  if (device.station) return words.t("station_s", { s: device.station });
  return "—";
}

function drawDevices() {
  const rows = $("device-rows");
  rows.replaceChildren();
  for (const device of state.devices) {
    const row = element("tr", { testid: "device-row", dataset: { deviceId: device.device_id, kind: device.kind } });
    const status = device.revoked_at ? "revoked" : device.online ? "online" : "offline";
    row.dataset.state = status;
    row.append(element("td", { text: device.name, testid: "device-name-cell" }));
    row.append(element("td", { text: words.t(`kind_${device.kind}`) }));
    row.append(element("td", { text: boundTo(device) }));
    const badge = element("span", { className: `badge ${status}`, testid: "device-state" });
    badge.textContent = LINKED_KINDS.has(device.kind) || device.revoked_at ? words.t(status) : words.t("not_connected");
    const stateCell = element("td");
    stateCell.append(badge);
    row.append(stateCell);
    row.append(element("td", { text: when(device.last_seen), testid: "device-last-seen" }));
    row.append(element("td", { text: when(device.created_at) }));
    const actions = element("td", { className: "actions" });
    if (!device.revoked_at) {
      const revoke = element("button", { text: words.t("revoke"), testid: "device-revoke", className: "danger" });
      revoke.type = "button";
      revoke.addEventListener("click", () => revokeDevice(device));
      actions.append(revoke);
    }
    row.append(actions);
    rows.append(row);
  }
  $("devices-empty").hidden = state.devices.length > 0;
}

function fitDeviceForm() {
  const kind = $("device-kind").value;
  $("device-window-field").hidden = !WINDOW_KINDS.has(kind);
  $("device-station-field").hidden = !STATION_KINDS.has(kind);
}

async function registerDevice(event) {
  event.preventDefault();
  quiet();
  const form = $("device-form");
  const kind = $("device-kind").value;
  const body = { kind, name: $("device-name").value.trim() };
  const window = $("device-window").value.trim();
  const station = $("device-station").value.trim();
  if (WINDOW_KINDS.has(kind) && window) body.window = /^\d+$/.test(window) ? Number(window) : window;
  if (STATION_KINDS.has(kind) && station) body.station = station;
  $("device-register").disabled = true;
  const answer = await state.api.post(`/halls/${encodeURIComponent(state.hall)}/devices`, body);
  $("device-register").disabled = false;
  if (!answer.ok) return refused(answer, form);
  form.reset();
  fitDeviceForm();
  showRegistered(answer.data);
  await loadDevices();
}

/** The token and the address, this once: gone from the page when the panel closes. */
function showRegistered(registered) {
  const panel = $("registered");
  panel.hidden = false;
  $("registered-name").textContent = `${registered.device.name}（${words.t(`kind_${registered.device.kind}`)}）`;
  $("registered-token").textContent = registered.token;
  const hasAddress = Boolean(registered.address);
  $("registered-address").textContent = registered.address ?? "";
  $("registered-address").parentElement.hidden = !hasAddress;
  $("registered-address-label").hidden = !hasAddress;
  const canvas = $("registered-qr");
  canvas.hidden = !hasAddress;
  if (hasAddress) drawQr(canvas, registered.address, 240);
  let hint = words.t("hint_page");
  if (registered.device.kind === "printer") {
    hint = `${words.t("hint_printer")} TICKET_PRINTER_TOKEN=${registered.token} ticket-printer --server ${registered.server} --tcp PRINTER-ADDRESS`;
  } else if (registered.device.kind === "booking_platform") {
    hint = words.t("hint_booking");
  }
  $("registered-hint").textContent = hint;
  $("copied").textContent = "";
  state.registered = registered;
  diagnostics.registered = registered.device.device_id;
  panel.scrollIntoView({ block: "nearest" });
}

function closeRegistered() {
  $("registered").hidden = true;
  for (const testid of ["registered-token", "registered-address", "registered-hint"]) $(testid).textContent = "";
  const canvas = $("registered-qr");
  canvas.getContext("2d")?.clearRect(0, 0, canvas.width, canvas.height);
  delete canvas.dataset.content;
  state.registered = null;
}

async function copy(testid) {
  const node = $(testid);
  const text = node.textContent;
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    // no clipboard on plain http: select it, and let the browser's own copy try
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    copied = document.execCommand?.("copy") ?? false;
  }
  $("copied").textContent = words.t(copied ? "copied" : "copy_failed");
}

async function revokeDevice(device) {
  const ok = await ask({ title: words.t("revoke_title"), text: words.t("revoke_text", { name: device.name }), confirm: words.t("revoke") }, async () =>
    state.api.post(`/halls/${encodeURIComponent(state.hall)}/devices/${device.device_id}/revoke`, {}),
  );
  if (!ok) return;
  say(words.t("device_revoked", { name: device.name }), "", "ok");
  await loadDevices();
}

// ---- users ------------------------------------------------------------------------------

async function loadUsers() {
  if (state.me.role !== "admin") return;
  const answer = await state.api.get("/users");
  if (!answer.ok) return refused(answer);
  state.users = answer.data.users;
  drawUsers();
}

function userState(user) {
  if (!user.active) return ["disabled", words.t("disabled")];
  if (user.locked_until) return ["locked", words.t("locked", { until: when(user.locked_until) })];
  return ["active", words.t("active")];
}

function drawUsers() {
  const rows = $("user-rows");
  rows.replaceChildren();
  const shown = state.users.filter((user) => state.hall === null || user.hall === state.hall || user.hall === null);
  for (const user of shown) {
    const row = element("tr", { testid: "user-row", dataset: { username: user.username } });
    const [key, label] = userState(user);
    row.dataset.state = key;
    row.append(element("td", { text: user.username, testid: "user-username-cell" }));
    row.append(element("td", { text: user.display_name }));
    row.append(element("td", { text: words.t(`role_${user.role}`), testid: "user-role-cell" }));
    row.append(element("td", { text: user.hall ?? words.t("every") }));
    row.append(element("td", { text: user.staff_number ?? "—" }));
    const stateCell = element("td");
    stateCell.append(element("span", { text: label, className: `badge ${key}`, testid: "user-state" }));
    row.append(stateCell);
    row.append(element("td", { text: when(user.last_seen), testid: "user-last-seen" }));
    const actions = element("td", { className: "actions" });
    if (user.id === state.me.user_id) {
      actions.append(element("span", { text: words.t("yourself"), className: "fine" }));
    } else {
      const button = (key, handler, className = "") => {
        const node = element("button", { text: words.t(key), testid: `user-${key.replace("_", "-")}`, className });
        node.type = "button";
        node.addEventListener("click", () => handler(user));
        actions.append(node);
      };
      if (user.active) button("disable", disableUser, "danger");
      else button("enable", enableUser);
      button("reset_password", resetPassword);
      button("change_role", changeRole);
      if (user.locked_until) button("unlock", unlockUser);
    }
    row.append(actions);
    rows.append(row);
  }
}

async function createUser(event) {
  event.preventDefault();
  quiet();
  const form = $("user-form");
  const role = $("user-role").value;
  const body = {
    username: $("user-username").value.trim(),
    display_name: $("user-display-name").value.trim(),
    role,
    password: $("user-password").value,
  };
  const staffNumber = $("user-staff-number").value.trim();
  if (staffNumber) body.staff_number = staffNumber;
  if (!(role === "admin" && $("user-every-hall").checked)) body.hall = state.hall;
  $("user-create").disabled = true;
  const answer = await state.api.post("/users", body);
  $("user-create").disabled = false;
  if (!answer.ok) return refused(answer, form);
  form.reset();
  fitUserForm();
  say(words.t("user_created", { name: `${answer.data.display_name}（${answer.data.username}）` }), "", "ok");
  await loadUsers();
}

function fitUserForm() {
  const everyHall = state.me?.hall_id === null && $("user-role").value === "admin";
  $("user-every-hall-field").hidden = !everyHall;
  if (!everyHall) $("user-every-hall").checked = false;
}

async function disableUser(user) {
  const done = await ask(
    { title: words.t("disable_title"), text: words.t("disable_text", { name: user.display_name }), confirm: words.t("disable") },
    async () => state.api.post(`/users/${user.id}/disable`, {}),
  );
  if (done) await loadUsers();
}

async function enableUser(user) {
  const answer = await state.api.post(`/users/${user.id}/enable`, {});
  if (!answer.ok) return refused(answer);
  await loadUsers();
}

async function unlockUser(user) {
  const answer = await state.api.post(`/users/${user.id}/unlock`, {});
  if (!answer.ok) return refused(answer);
  await loadUsers();
}

async function resetPassword(user) {
  const done = await ask(
    { title: words.t("password_title"), text: words.t("password_text", { name: user.display_name }), confirm: words.t("confirm"), password: true },
    async (values) => state.api.request("PUT", `/users/${user.id}/password`, { body: { password: values.password } }),
  );
  if (done) say(words.t("done"), "", "ok");
}

async function changeRole(user) {
  const done = await ask(
    { title: words.t("role_title"), text: words.t("role_text", { name: user.display_name }), confirm: words.t("confirm"), role: user.role },
    async (values) => {
      const body = { role: values.role };
      if (values.role !== "admin" && user.hall === null) body.hall = state.hall;
      return state.api.request("PUT", `/users/${user.id}/role`, { body });
    },
  );
  if (done) await loadUsers();
}

// ---- the dialog that asks first -----------------------------------------------------------

/** Ask in the dialog; on OK run `act(values)`, keep the dialog open with the refusal, or
 * close it on success. Resolves true when the action was done. */
function ask({ title, text, confirm, password = false, role = null }, act) {
  const dialog = $("ask");
  $("ask-title").textContent = title;
  $("ask-text").textContent = text;
  $("ask-ok").textContent = confirm;
  $("ask-password-field").hidden = !password;
  $("ask-password").value = "";
  $("ask-role-field").hidden = role === null;
  if (role !== null) $("ask-role").value = role;
  $("ask-error").hidden = true;
  return new Promise((resolve) => {
    const form = $("ask-form");
    const finish = (result) => {
      form.removeEventListener("submit", submit);
      $("ask-cancel").removeEventListener("click", cancel);
      dialog.removeEventListener("cancel", cancel);
      if (dialog.open) dialog.close();
      resolve(result);
    };
    const cancel = (event) => {
      event?.preventDefault();
      finish(false);
    };
    const submit = async (event) => {
      event.preventDefault();
      $("ask-ok").disabled = true;
      const answer = await act({ password: $("ask-password").value, role: $("ask-role").value });
      $("ask-ok").disabled = false;
      if (answer.ok) return finish(true);
      refused(answer, form, (heading, detail = "") => {
        $("ask-error").hidden = false;
        $("ask-error").textContent = `${heading} ${detail}`.trim();
      });
    };
    form.addEventListener("submit", submit);
    $("ask-cancel").addEventListener("click", cancel);
    dialog.addEventListener("cancel", cancel);
    dialog.showModal();
    (password ? $("ask-password") : role !== null ? $("ask-role") : $("ask-ok")).focus();
  });
}

// ---- the page -----------------------------------------------------------------------------

function draw() {
  words.translate();
  drawDevices();
  if (state.me?.role === "admin") drawUsers();
}

async function chooseHall(code) {
  state.hall = code;
  const hall = state.halls.find((h) => h.code === code);
  $("hall-name").textContent = hall ? hall.name : "";
  closeRegistered();
  await Promise.all([loadDevices(), loadUsers()]);
}

async function start() {
  words.translate();
  const started = await startStaffPage({
    onLanguage: (lang) => {
      words.set(lang);
      draw();
    },
    returnTo: location.pathname,
  });
  if (!started) return;
  state.me = started.session.user;
  state.api = started.api;
  const isAdmin = state.me.role === "admin";
  $("users-admin-only").hidden = isAdmin;
  $("user-form").hidden = !isAdmin;
  $("users").hidden = !isAdmin;
  const halls = await state.api.get("/halls");
  if (!halls.ok) return refused(halls);
  state.halls = halls.data.halls;
  const select = $("hall-select");
  select.replaceChildren(...state.halls.map((h) => Object.assign(document.createElement("option"), { value: h.code, textContent: h.name })));
  $("hall-choice").hidden = state.halls.length < 2;
  const wanted = new URLSearchParams(location.search).get("hall");
  const first = state.halls.find((h) => h.code === wanted) ?? state.halls[0];
  if (first) select.value = first.code;
  fitDeviceForm();
  fitUserForm();
  await chooseHall(first ? first.code : null);
  diagnostics.state = "ready";
}

$("hall-select").addEventListener("change", (event) => chooseHall(event.target.value));
$("device-kind").addEventListener("change", fitDeviceForm);
$("user-role").addEventListener("change", fitUserForm);
$("device-form").addEventListener("submit", registerDevice);
$("user-form").addEventListener("submit", createUser);
$("show-revoked").addEventListener("change", loadDevices);
$("devices-refresh").addEventListener("click", loadDevices);
$("users-refresh").addEventListener("click", loadUsers);
$("registered-done").addEventListener("click", closeRegistered);
$("copy-address").addEventListener("click", () => copy("registered-address"));
$("copy-token").addEventListener("click", () => copy("registered-token"));
$("message-close").addEventListener("click", quiet);
// back to the page (from the TV, another tab): who is online now
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && state.hall) loadDevices();
});
start();
