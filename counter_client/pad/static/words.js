// The review pad's fixed words in zh-CN, zh-TW and en, with the rating's own (rating.js).
// Window, queue and clerk names come from the server as the hall file spells them.

import { RATING_WORDS } from "./rating.js";

const OWN = {
  "zh-CN": {
    connecting: "正在连接服务器…",
    offline: "网络已断开，正在重新连接…",
    token_missing: "此评价器尚未设置：请管理员在地址后加上 #token=设备令牌 打开本页",
    token_refused: "设备令牌无效或已停用：请联系管理员重新登记此评价器",
    wrong_kind: "此令牌不是评价器的令牌：请使用为本窗口评价器登记的令牌",
    network_start: "暂时无法连接服务器，稍后自动重试",
    window_n: "{n}号窗口",
    staff_number: "工号：{n}",
    welcome: "欢迎您！",
    welcome_hint: "办理完毕后，请在此对我们的服务进行评价",
    paused: "暂停服务",
    ticket_label: "您的号码",
    countdown: "{n} 秒后结束",
    ended_closed: "{number} 号在评价器上的评价已结束",
    ended_qr: "您仍可扫描号票上的二维码，在手机上评价",
    ended_rated_detail: "{number} 号已有评价，感谢您的参与",
  },
  "zh-TW": {
    connecting: "正在連接伺服器…",
    offline: "網路已斷開，正在重新連接…",
    token_missing: "此評價器尚未設定：請管理員在網址後加上 #token=設備令牌 開啟本頁",
    token_refused: "設備令牌無效或已停用：請聯絡管理員重新登記此評價器",
    wrong_kind: "此令牌不是評價器的令牌：請使用為本窗口評價器登記的令牌",
    network_start: "暫時無法連接伺服器，稍後自動重試",
    window_n: "{n}號窗口",
    staff_number: "工號：{n}",
    welcome: "歡迎您！",
    welcome_hint: "辦理完畢後，請在此對我們的服務進行評價",
    paused: "暫停服務",
    ticket_label: "您的號碼",
    countdown: "{n} 秒後結束",
    ended_closed: "{number} 號在評價器上的評價已結束",
    ended_qr: "您仍可掃描號票上的二維碼，在手機上評價",
    ended_rated_detail: "{number} 號已有評價，感謝您的參與",
  },
  en: {
    connecting: "Connecting to the server…",
    offline: "Network lost, reconnecting…",
    token_missing: "This pad is not set up: an administrator opens it with #token=DEVICE-TOKEN after the address",
    token_refused: "The device token is unknown or revoked: ask an administrator to register this pad again",
    wrong_kind: "This token is not a review pad's: use the token registered for this window's pad",
    network_start: "Cannot reach the server for now; retrying shortly",
    window_n: "Window {n}",
    staff_number: "Staff no. {n}",
    welcome: "Welcome!",
    welcome_hint: "When your service is finished, please rate it here",
    paused: "Service paused",
    ticket_label: "Your number ",
    countdown: "Ends in {n} s",
    ended_closed: "Rating for {number} has ended on this pad",
    ended_qr: "You can still rate it on your phone: scan the QR code on your ticket",
    ended_rated_detail: "{number} has already been rated. Thank you",
  },
};

export const PAD_WORDS = Object.fromEntries(
  Object.keys(OWN).map((language) => [language, { ...RATING_WORDS[language], ...OWN[language] }]),
);
