// The reports page's words in zh-CN (the default), zh-TW and en, and each column's
// header by its key (the CSV keeps the server's Chinese headers whatever the language).
import { NAV_WORDS } from "./nav-words.js";

const COLUMNS_ZH_CN = {
  key: "编码", name: "名称", day: "日期", windows: "窗口",
  issued: "取号数", served: "办结数", no_shows: "过号数", cancelled: "取消数", transferred: "转办数", called: "叫号数",
  wait_avg_minutes: "平均等候（分钟）", wait_p90_minutes: "90%等候（分钟）",
  handling_avg_minutes: "平均办理（分钟）", handling_p90_minutes: "90%办理（分钟）",
  very_satisfied: "非常满意", satisfied: "满意", basic: "基本满意", dissatisfied: "不满意", very_dissatisfied: "非常不满意",
  rated: "评价数", good: "好评数", good_rate: "好评率", bad: "差评数", bad_rate: "差评率",
  first_sign_in: "首次签到", last_sign_out: "最后签退", on_window_minutes: "在岗时长（分钟）",
  pauses: "暂停次数", pause_minutes: "暂停时长（分钟）", pause_reasons: "暂停原因", working_minutes: "有效在岗（分钟）",
  days_on_duty: "出勤天数", cases: "差评工单", replied: "已回复", fixed: "已整改", fixes_satisfied: "整改满意",
};

export const WORDS = {
  "zh-CN": {
    ...NAV_WORDS["zh-CN"],
    title: "报表", hall: "大厅", kind: "报表", by_day: "按日", by_month: "按月", show: "查询", csv: "下载 CSV",
    print: "打印", period: "统计期间", printed_at: "打印时间", empty: "该期间没有记录",
    kind_queues: "队列统计", kind_items: "事项统计", kind_windows: "窗口统计", kind_clerks: "人员统计",
    kind_attendance: "日考勤", kind_clerk_review: "月讲评",
    loading: "正在生成报表…", failed: "报表生成失败：{detail}", network: "无法连接服务器，请稍后再试",
    key_queues: "队列编码", key_items: "事项编码", key_windows: "窗口号", key_clerks: "工号",
    key_attendance: "工号", key_clerk_review: "工号", name_clerks: "姓名", name_attendance: "姓名",
    name_clerk_review: "姓名", name_queues: "队列", name_items: "事项", name_windows: "窗口",
    ...Object.fromEntries(Object.entries(COLUMNS_ZH_CN).map(([key, label]) => [`col_${key}`, label])),
  },
  "zh-TW": {
    ...NAV_WORDS["zh-TW"],
    title: "報表", hall: "大廳", kind: "報表", by_day: "按日", by_month: "按月", show: "查詢", csv: "下載 CSV",
    print: "列印", period: "統計期間", printed_at: "列印時間", empty: "該期間沒有記錄",
    kind_queues: "隊列統計", kind_items: "事項統計", kind_windows: "窗口統計", kind_clerks: "人員統計",
    kind_attendance: "日考勤", kind_clerk_review: "月講評",
    loading: "正在產生報表…", failed: "報表產生失敗：{detail}", network: "無法連線伺服器，請稍後再試",
    key_queues: "隊列編碼", key_items: "事項編碼", key_windows: "窗口號", key_clerks: "工號",
    key_attendance: "工號", key_clerk_review: "工號", name_clerks: "姓名", name_attendance: "姓名",
    name_clerk_review: "姓名", name_queues: "隊列", name_items: "事項", name_windows: "窗口",
    col_day: "日期", col_windows: "窗口", col_issued: "取號數", col_served: "辦結數", col_no_shows: "過號數",
    col_cancelled: "取消數", col_transferred: "轉辦數", col_called: "叫號數",
    col_wait_avg_minutes: "平均等候（分鐘）", col_wait_p90_minutes: "90%等候（分鐘）",
    col_handling_avg_minutes: "平均辦理（分鐘）", col_handling_p90_minutes: "90%辦理（分鐘）",
    col_very_satisfied: "非常滿意", col_satisfied: "滿意", col_basic: "基本滿意", col_dissatisfied: "不滿意",
    col_very_dissatisfied: "非常不滿意", col_rated: "評價數", col_good: "好評數", col_good_rate: "好評率",
    col_bad: "差評數", col_bad_rate: "差評率", col_first_sign_in: "首次簽到", col_last_sign_out: "最後簽退",
    col_on_window_minutes: "在崗時長（分鐘）", col_pauses: "暫停次數", col_pause_minutes: "暫停時長（分鐘）",
    col_pause_reasons: "暫停原因", col_working_minutes: "有效在崗（分鐘）", col_days_on_duty: "出勤天數",
    col_cases: "差評工單", col_replied: "已回覆", col_fixed: "已整改", col_fixes_satisfied: "整改滿意",
  },
  en: {
    ...NAV_WORDS.en,
    title: "Reports", hall: "Hall", kind: "Report", by_day: "Day", by_month: "Month", show: "Show",
    csv: "Download CSV", print: "Print", period: "Period", printed_at: "Printed", empty: "Nothing recorded in this period",
    
    kind_queues: "By queue", kind_items: "By item", kind_windows: "By window", kind_clerks: "By clerk",
    kind_attendance: "Daily attendance", kind_clerk_review: "Clerk review",
    loading: "Building the report…", failed: "The report failed: {detail}", network: "The server cannot be reached; try again shortly",
    key_queues: "Queue code", key_items: "Item code", key_windows: "Window", key_clerks: "Staff no.",
    key_attendance: "Staff no.", key_clerk_review: "Staff no.", name_clerks: "Name", name_attendance: "Name",
    name_clerk_review: "Name", name_queues: "Queue", name_items: "Item", name_windows: "Window name",
    col_day: "Day", col_windows: "Windows", col_issued: "Issued", col_served: "Served", col_no_shows: "No-shows",
    col_cancelled: "Cancelled", col_transferred: "Transferred", col_called: "Called",
    col_wait_avg_minutes: "Avg wait (min)", col_wait_p90_minutes: "P90 wait (min)",
    col_handling_avg_minutes: "Avg handling (min)", col_handling_p90_minutes: "P90 handling (min)",
    col_very_satisfied: "Very satisfied", col_satisfied: "Satisfied", col_basic: "Fair", col_dissatisfied: "Dissatisfied",
    col_very_dissatisfied: "Very dissatisfied", col_rated: "Rated", col_good: "Good", col_good_rate: "Good rate",
    col_bad: "Bad", col_bad_rate: "Bad rate", col_first_sign_in: "First sign-in", col_last_sign_out: "Last sign-out",
    col_on_window_minutes: "At window (min)", col_pauses: "Pauses", col_pause_minutes: "Paused (min)",
    col_pause_reasons: "Pause reasons", col_working_minutes: "Working (min)", col_days_on_duty: "Days on duty",
    col_cases: "Bad-rating cases", col_replied: "Replied", col_fixed: "Fixed", col_fixes_satisfied: "Fix satisfied",
  },
};

export const KINDS = ["queues", "items", "windows", "clerks", "attendance", "clerk-review"];
