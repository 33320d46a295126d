// The phone page's own words in its three languages. Data (hall, queue, item and window
// names) comes from the server as the hall file spells it; only the page's sentences are
// translated here. Pure: no DOM, tested with Node's runner (tests/js/phone.test.mjs).

export const LANGUAGES = ["zh-CN", "zh-TW", "en"];
export const DEFAULT_LANGUAGE = "zh-CN";

const DICTIONARIES = {
  "zh-CN": {
    title: "排队进度",
    loading: "正在读取排队信息…",
    your_number: "您的号码",
    people_ahead: "前面还有",
    estimated_wait: "预计等候",
    people: "{n} 人",
    minutes: "约 {n} 分钟",
    soon: "即将叫号",
    item: "事项：{name}",
    bundle: "一件事：{name}",
    waiting: "等候中",
    next_up: "下一位就是您",
    wait_hint: "请在休息区等候，留意大屏和语音叫号",
    wait_for_window: "请等候 {n} 号窗口叫号",
    transferred_queue: "已为您转到“{queue}”，请继续等候",
    transferred_window: "已为您转到 {n} 号窗口，请等候叫号",
    requeued: "您已过号，已为您重新排队",
    called: "请到 {n} 号窗口办理",
    recalled: "（重呼）",
    called_hint: "轮到您了，请尽快前往",
    serving: "正在 {n} 号窗口办理",
    clerk: "工作人员：{name}",
    suspended: "业务已挂起",
    suspended_hint: "备齐材料后，请回到 {n} 号窗口",
    done: "办理完毕",
    done_hint: "感谢您的耐心等候",
    no_show: "已过号",
    no_show_hint: "过号请到导办台重新排队",
    cancelled: "此号已取消",
    expired: "此号已失效",
    expired_hint: "当日未办理的号已作废",
    take_new: "如需办理，请到导办台重新取号",
    past_day: "这是 {day} 的票",
    past_day_hint: "不在今日的队列中",
    tips: "过号请到导办台重新排队",
    not_found: "找不到这张票",
    not_found_hint: "请核对二维码，或到导办台询问",
    too_old: "这张票已过期",
    throttled: "查询过于频繁",
    throttled_hint: "请 {n} 秒后再试",
    unreachable: "暂时无法连接服务器",
    unreachable_hint: "正在重试…",
    offline: "网络已断开，正在重新连接…",
    updated: "更新于 {time}",
    language: "语言",
  },
  "zh-TW": {
    title: "排隊進度",
    loading: "正在讀取排隊資訊…",
    your_number: "您的號碼",
    people_ahead: "前面還有",
    estimated_wait: "預計等候",
    people: "{n} 人",
    minutes: "約 {n} 分鐘",
    soon: "即將叫號",
    item: "事項：{name}",
    bundle: "一件事：{name}",
    waiting: "等候中",
    next_up: "下一位就是您",
    wait_hint: "請在休息區等候，留意大屏和語音叫號",
    wait_for_window: "請等候 {n} 號窗口叫號",
    transferred_queue: "已為您轉到「{queue}」，請繼續等候",
    transferred_window: "已為您轉到 {n} 號窗口，請等候叫號",
    requeued: "您已過號，已為您重新排隊",
    called: "請到 {n} 號窗口辦理",
    recalled: "（重呼）",
    called_hint: "輪到您了，請盡快前往",
    serving: "正在 {n} 號窗口辦理",
    clerk: "工作人員：{name}",
    suspended: "業務已掛起",
    suspended_hint: "備齊材料後，請回到 {n} 號窗口",
    done: "辦理完畢",
    done_hint: "感謝您的耐心等候",
    no_show: "已過號",
    no_show_hint: "過號請到導辦台重新排隊",
    cancelled: "此號已取消",
    expired: "此號已失效",
    expired_hint: "當日未辦理的號已作廢",
    take_new: "如需辦理，請到導辦台重新取號",
    past_day: "這是 {day} 的票",
    past_day_hint: "不在今日的隊列中",
    tips: "過號請到導辦台重新排隊",
    not_found: "找不到這張票",
    not_found_hint: "請核對二維碼，或到導辦台詢問",
    too_old: "這張票已過期",
    throttled: "查詢過於頻繁",
    throttled_hint: "請 {n} 秒後再試",
    unreachable: "暫時無法連線伺服器",
    unreachable_hint: "正在重試…",
    offline: "網路已中斷，正在重新連線…",
    updated: "更新於 {time}",
    language: "語言",
  },
  en: {
    title: "Queue progress",
    loading: "Loading your ticket…",
    your_number: "Your number",
    people_ahead: "Ahead of you",
    estimated_wait: "Estimated wait",
    people: "{n}",
    minutes: "about {n} min",
    soon: "soon",
    item: "Service: {name}",
    bundle: "Bundle: {name}",
    waiting: "Waiting",
    next_up: "You are next",
    wait_hint: "Please wait in the seating area and watch the screens",
    wait_for_window: "Please wait for window {n} to call you",
    transferred_queue: "Moved to “{queue}”: please keep waiting",
    transferred_window: "Moved to window {n}: please wait to be called",
    requeued: "You missed your call and are back in line",
    called: "Please go to window {n}",
    recalled: " (repeat)",
    called_hint: "It is your turn: please go now",
    serving: "Being served at window {n}",
    clerk: "Staff: {name}",
    suspended: "On hold",
    suspended_hint: "Once you have your documents, please return to window {n}",
    done: "Done",
    done_hint: "Thank you for waiting",
    no_show: "Call missed",
    no_show_hint: "Please ask at the guidance desk to queue again",
    cancelled: "Ticket cancelled",
    expired: "Ticket no longer valid",
    expired_hint: "Tickets not served on their day expire",
    take_new: "Please take a new number at the guidance desk",
    past_day: "This ticket is from {day}",
    past_day_hint: "It is not in today's queue",
    tips: "Missed your call? Ask at the guidance desk to queue again",
    not_found: "Ticket not found",
    not_found_hint: "Please check the QR code, or ask at the guidance desk",
    too_old: "This ticket has expired",
    throttled: "Too many requests",
    throttled_hint: "Please try again in {n} s",
    unreachable: "Cannot reach the server",
    unreachable_hint: "Retrying…",
    offline: "Offline, reconnecting…",
    updated: "Updated {time}",
    language: "Language",
  },
};

/** `key` in `language`, with `{name}` placeholders filled from `values`; the key itself
 * when no dictionary has it (a missing word shows, it does not break the page). */
export function t(language, key, values = {}) {
  const words = DICTIONARIES[language] ?? DICTIONARIES[DEFAULT_LANGUAGE];
  const text = words[key] ?? DICTIONARIES[DEFAULT_LANGUAGE][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The page's language: the one the citizen chose before (`saved`), else the first of
 * the browser's languages the page speaks (zh-TW for Traditional Chinese: zh-TW, zh-HK,
 * zh-MO, zh-Hant), else zh-CN. */
export function pickLanguage(saved, browserLanguages = []) {
  if (LANGUAGES.includes(saved)) return saved;
  for (const tag of browserLanguages) {
    const lower = String(tag).toLowerCase();
    if (/^zh-(tw|hk|mo)\b|^zh-hant\b/.test(lower)) return "zh-TW";
    if (/^zh\b/.test(lower)) return "zh-CN";
    if (/^en\b/.test(lower)) return "en";
  }
  return DEFAULT_LANGUAGE;
}

/** The dictionaries' keys, for the test that every language has every word. */
export function keysOf(language) {
  return Object.keys(DICTIONARIES[language] ?? {});
}
