// 好差评 for the review pad (/pad) and the phone (/t/{ref}): the five levels, their looks and
// words, reasons, the body sent, what a refusal means. Pure (tests/js/rating.test.mjs); kept
// small, the phone loads it. The citizen rates freely (国办发〔2019〕51号): nothing starts
// chosen; the levels are these five in this order whatever a server sends.

export const LEVELS = ["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"];
export const MAX_TEXT = 500;

/** Each level's colour and face: `smile` 1 … -1 bends the mouth (faces.js). */
export const LOOKS = {
  very_satisfied: { colour: "#1e7f3c", smile: 1 },
  satisfied: { colour: "#4f9a2e", smile: 0.55 },
  basic: { colour: "#b98900", smile: 0 },
  dissatisfied: { colour: "#d4610b", smile: -0.55 },
  very_dissatisfied: { colour: "#c0221c", smile: -1 },
};

export const RATING_WORDS = {
  "zh-CN": {
    level_very_satisfied: "非常满意",
    level_satisfied: "满意",
    level_basic: "基本满意",
    level_dissatisfied: "不满意",
    level_very_dissatisfied: "非常不满意",
    rate_title: "请您对本次服务进行评价",
    rate_reasons: "原因（可多选，选填）",
    rate_text: "意见或建议（选填）",
    rate_text_hint: "最多 500 字",
    rate_submit: "提交评价",
    rate_sending: "正在提交…",
    rate_choose_first: "请先选择一个评价等级",
    rated: "已评价：{label}",
    rated_thanks: "感谢您的评价！",
    rated_by_system: "系统默认评价：{label}",
    refused_already_rated: "这次办事已经评价过了：每次办事只评价一次",
    refused_closed: "评价已结束",
    refused_not_finished: "办理完毕后才能评价",
    refused_network: "网络异常，评价未提交：请稍后再点“提交评价”",
    refused_busy: "服务器繁忙，评价未提交：请稍后重试",
    refused_throttled: "操作过于频繁，请稍后再试",
    refused_text: "意见内容有误：{detail}",
    refused_failed: "评价未能提交：{detail}",
  },
  "zh-TW": {
    level_very_satisfied: "非常滿意",
    level_satisfied: "滿意",
    level_basic: "基本滿意",
    level_dissatisfied: "不滿意",
    level_very_dissatisfied: "非常不滿意",
    rate_title: "請您對本次服務進行評價",
    rate_reasons: "原因（可多選，選填）",
    rate_text: "意見或建議（選填）",
    rate_text_hint: "最多 500 字",
    rate_submit: "提交評價",
    rate_sending: "正在提交…",
    rate_choose_first: "請先選擇一個評價等級",
    rated: "已評價：{label}",
    rated_thanks: "感謝您的評價！",
    rated_by_system: "系統預設評價：{label}",
    refused_already_rated: "這次辦事已經評價過了：每次辦事只評價一次",
    refused_closed: "評價已結束",
    refused_not_finished: "辦理完畢後才能評價",
    refused_network: "網路異常，評價未提交：請稍後再點「提交評價」",
    refused_busy: "伺服器繁忙，評價未提交：請稍後重試",
    refused_throttled: "操作過於頻繁，請稍後再試",
    refused_text: "意見內容有誤：{detail}",
    refused_failed: "評價未能提交：{detail}",
  },
  en: {
    level_very_satisfied: "Very satisfied",
    level_satisfied: "Satisfied",
    level_basic: "Fairly satisfied",
    level_dissatisfied: "Dissatisfied",
    level_very_dissatisfied: "Very dissatisfied",
    rate_title: "Please rate the service you received",
    rate_reasons: "Why? (optional, choose any)",
    rate_text: "Comments (optional)",
    rate_text_hint: "Up to 500 characters",
    rate_submit: "Submit rating",
    rate_sending: "Submitting…",
    rate_choose_first: "Please choose a rating first",
    rated: "Rated: {label}",
    rated_thanks: "Thank you for your rating!",
    rated_by_system: "Default rating given by the system: {label}",
    refused_already_rated: "This service has already been rated: one rating per visit",
    refused_closed: "Rating has ended here",
    refused_not_finished: "You can rate once your service has finished",
    refused_network: "Network problem: your rating was not sent. Please tap “Submit rating” again shortly",
    refused_busy: "The server is busy: your rating was not sent. Please try again shortly",
    refused_throttled: "Too many attempts: please try again shortly",
    refused_text: "Please check your comment: {detail}",
    refused_failed: "Your rating could not be sent: {detail}",
  },
};

/** The five levels in order, each with the reasons the server listed for it. */
export function levelsOffered(fromServer) {
  const given = new Map((Array.isArray(fromServer) ? fromServer : []).map((entry) => [entry?.level, entry]));
  return LEVELS.map((level) => {
    const reasons = given.get(level)?.reasons;
    return { level, reasons: Array.isArray(reasons) ? reasons.filter((r) => typeof r === "string" && r) : [] };
  });
}

/** A reason touched: on, or off again; only reasons offered count. */
export function toggleReason(chosen, reason, offered) {
  if (!offered.includes(reason)) return chosen;
  return chosen.includes(reason) ? chosen.filter((r) => r !== reason) : offered.filter((r) => r === reason || chosen.includes(r));
}

/** The body sent (the pad adds its ticket); null while no level is chosen. */
export function ratingBody({ level, reasons = [], text = "", offered = [], ticketRef = null }) {
  if (!LEVELS.includes(level)) return null;
  const body = { level, reasons: reasons.filter((r) => offered.includes(r)) };
  const trimmed = typeof text === "string" ? text.trim() : "";
  if (trimmed) body.text = trimmed.slice(0, MAX_TEXT);
  if (ticketRef) body.ticket_ref = ticketRef;
  return body;
}

/** A refusal as already_rated, closed (the pad's invitation), not_finished, text, throttled,
 * busy, network (try again) or failed. */
export function refusalKey(answer) {
  if (!answer || answer.network) return "network";
  const problem = answer.problem ?? {};
  if (answer.status === 429) return "throttled";
  switch (problem.code) {
    case "already_rated":
      return "already_rated";
    case "not_rateable":
      return problem.window !== undefined ? "closed" : "not_finished";
    case "store_busy":
      return "busy";
    case "invalid_input":
      return problem.field === "text" ? "text" : "failed";
    default:
      return "failed";
  }
}
