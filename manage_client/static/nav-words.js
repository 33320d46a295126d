// The manager pages' bar (templates/manage_client/bar.html), worded once for all four
// pages: each page's words spread these in, so the bar reads the same on every page.
export const NAV_WORDS = Object.freeze({
  "zh-CN": { nav_dashboard: "实时看板", nav_staffing: "排班建议", nav_reports: "统计报表", nav_admin: "用户与设备", sign_out: "退出登录" },
  "zh-TW": { nav_dashboard: "即時看板", nav_staffing: "排班建議", nav_reports: "統計報表", nav_admin: "使用者與設備", sign_out: "登出" },
  en: { nav_dashboard: "Dashboard", nav_staffing: "Staffing", nav_reports: "Reports", nav_admin: "Users and devices", sign_out: "Sign out" },
});
