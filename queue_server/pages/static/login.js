// The sign-in page: posts the form to /api/v1/session and goes on to `next` (a path on
// this server only); says the server's own sentence when it refuses, with the wait
// counted down after too many failures (429 and Retry-After).

import { Translator } from "./i18n.js";
import { Api, safeNext } from "./session.js";

const WORDS = {
  "zh-CN": {
    login_title: "工作人员登录",
    username: "用户名",
    password: "密码",
    sign_in: "登录",
    signing_in: "正在登录…",
    missing: "请输入用户名和密码",
    wait: "{seconds} 秒后可再试",
    network: "无法连接服务器：请检查网络后重试",
    next: "登录后将进入：{next}",
  },
  "zh-TW": {
    login_title: "工作人員登入",
    username: "使用者名稱",
    password: "密碼",
    sign_in: "登入",
    signing_in: "正在登入…",
    missing: "請輸入使用者名稱和密碼",
    wait: "{seconds} 秒後可再試",
    network: "無法連線伺服器：請檢查網路後重試",
    next: "登入後將進入：{next}",
  },
  en: {
    login_title: "Staff sign-in",
    username: "User name",
    password: "Password",
    sign_in: "Sign in",
    signing_in: "Signing in…",
    missing: "Enter your user name and password",
    wait: "Try again in {seconds} s",
    network: "Cannot reach the server: check the network and try again",
    next: "After signing in: {next}",
  },
};

const words = new Translator(WORDS, { storageKey: "hallQueue.staffLanguage" });
const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const next = safeNext(new URLSearchParams(location.search).get("next"), location.origin, "/desk");
const api = new Api();
let countdown = null;
const diagnostics = { state: "ready", next, message: null };
window.hallQueue = diagnostics;

function say(text) {
  $("login-message").hidden = !text;
  $("login-message").textContent = text ?? "";
  diagnostics.message = text;
}

function draw() {
  words.translate();
  $("login-next").textContent = words.t("next", { next });
}

/** Too many failures for this name or this PC: the server's sentence, and the wait
 * counted down (another person may still sign in meanwhile). */
function holdFor(seconds, detail) {
  clearInterval(countdown);
  say(detail);
  diagnostics.retryAfter = seconds;
  let left = seconds;
  const note = $("login-wait");
  const tick = () => {
    note.hidden = left <= 0;
    note.textContent = left > 0 ? words.t("wait", { seconds: left }) : "";
    if (left <= 0) clearInterval(countdown);
    left -= 1;
  };
  tick();
  countdown = setInterval(tick, 1000);
}

async function submit(event) {
  event.preventDefault();
  const username = $("username").value.trim();
  const password = $("password").value;
  if (!username || !password) {
    say(words.t("missing"));
    (username ? $("password") : $("username")).focus();
    return;
  }
  diagnostics.state = "signing-in";
  $("login-submit").disabled = true;
  $("login-submit").textContent = words.t("signing_in");
  const answer = await api.post("/session", { username, password });
  $("login-submit").textContent = words.t("sign_in");
  $("login-submit").disabled = false;
  clearInterval(countdown);
  $("login-wait").hidden = true;
  if (answer.ok) {
    diagnostics.state = "signed-in";
    location.assign(next);
    return;
  }
  diagnostics.state = "refused";
  $("password").value = "";
  $("password").focus();
  if (answer.network && !answer.problem?.detail) {
    say(words.t("network"));
  } else if (answer.status === 429 && answer.retryAfter) {
    holdFor(answer.retryAfter, answer.problem.detail);
  } else {
    say(answer.problem?.detail ?? words.t("network"));
  }
}

for (const button of document.querySelectorAll("[data-lang]")) {
  button.addEventListener("click", () => {
    words.set(button.dataset.lang);
    draw();
  });
}
$("login-form").addEventListener("submit", submit);
draw();
$("username").focus();
