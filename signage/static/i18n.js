// The screens' own words in the three languages a screen may be set to.
// Data (hall, queue and window names, call texts) comes from the server as it is;
// only the page's fixed labels are translated here.

export const LANGUAGES = ["zh-CN", "zh-TW", "en"];

const DICTIONARIES = {
  "zh-CN": {
    title_hall: "综合屏",
    title_window: "窗口屏",
    latest_call: "正在叫号",
    calls: "叫号信息",
    number: "号码",
    window: "窗口",
    window_n: "{n}号窗口",
    waiting: "等候人数",
    people: "{n}人",
    no_calls: "暂无叫号",
    whole_hall: "全厅",
    please_wait: "请稍候",
    welcome: "欢迎您",
    paused: "暂停服务",
    now_serving: "正在办理",
    now_calling: "请到本窗口办理",
    clerk: "工作人员",
    offline: "网络已断开，正在重新连接…",
    connecting: "正在连接服务器…",
    voice_browser: "浏览器语音",
    voice_server: "服务器合成语音 (espeak-ng)",
    voice_none: "无语音",
    voice_off: "语音已关闭",
    voice_standby: "本区由另一块屏幕播报",
    tap_for_voice: "点击任意处开启语音",
    token_missing: "此屏幕尚未配置设备令牌：请在地址后加上 #token=设备令牌，或联系管理员",
    token_refused: "设备令牌无效或已吊销：请联系管理员重新登记此设备",
    wrong_kind: "此令牌不属于{kind}：请检查地址",
  },
  "zh-TW": {
    title_hall: "綜合屏",
    title_window: "窗口屏",
    latest_call: "正在叫號",
    calls: "叫號資訊",
    number: "號碼",
    window: "窗口",
    window_n: "{n}號窗口",
    waiting: "等候人數",
    people: "{n}人",
    no_calls: "暫無叫號",
    whole_hall: "全廳",
    please_wait: "請稍候",
    welcome: "歡迎您",
    paused: "暫停服務",
    now_serving: "正在辦理",
    now_calling: "請到本窗口辦理",
    clerk: "工作人員",
    offline: "網路已中斷，正在重新連線…",
    connecting: "正在連線伺服器…",
    voice_browser: "瀏覽器語音",
    voice_server: "伺服器合成語音 (espeak-ng)",
    voice_none: "無語音",
    voice_off: "語音已關閉",
    voice_standby: "本區由另一塊螢幕播報",
    tap_for_voice: "點擊任意處開啟語音",
    token_missing: "此螢幕尚未設定裝置權杖：請在網址後加上 #token=裝置權杖，或聯絡管理員",
    token_refused: "裝置權杖無效或已撤銷：請聯絡管理員重新登記此裝置",
    wrong_kind: "此權杖不屬於{kind}：請檢查網址",
  },
  en: {
    title_hall: "Hall screen",
    title_window: "Window screen",
    latest_call: "Now calling",
    calls: "Calls",
    number: "Number",
    window: "Window",
    window_n: "Window {n}",
    waiting: "Waiting",
    people: "{n}",
    no_calls: "No calls yet",
    whole_hall: "Whole hall",
    please_wait: "Please wait",
    welcome: "Welcome",
    paused: "Service paused",
    now_serving: "Now serving",
    now_calling: "Please come to this window",
    clerk: "Clerk",
    offline: "Connection lost, reconnecting…",
    connecting: "Connecting to the server…",
    voice_browser: "Browser voice",
    voice_server: "Server voice (espeak-ng)",
    voice_none: "No voice",
    voice_off: "Voice off",
    voice_standby: "Another screen speaks for this area",
    tap_for_voice: "Touch anywhere to turn the voice on",
    token_missing: "This screen has no device token: add #token=<device token> to the address, or ask the administrator",
    token_refused: "The device token is unknown or revoked: ask the administrator to register this device again",
    wrong_kind: "This token does not belong to a {kind}: check the address",
  },
};

let current = "zh-CN";

export function setLanguage(language) {
  current = LANGUAGES.includes(language) ? language : "zh-CN";
  document.documentElement.lang = current;
  return current;
}

export function language() {
  return current;
}

/** The label `key` in the screen's language, with `{name}` placeholders filled in. */
export function t(key, params = {}) {
  const text = DICTIONARIES[current][key] ?? DICTIONARIES["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

/** Fill every element that carries `data-i18n="key"` under `root`. */
export function translate(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
}

/** BCP 47 locale for dates: the hall's clock reads in the screen's language. */
export function locale() {
  return current === "en" ? "en-GB" : current;
}
