// What the server refused, in the agent's language. The back end sends a stable code beside
// its English: HTTP refusals as {"detail", "code", "params"?} (backend/refusals.py), the hub
// as {"type": "error", "code", "message"}. A code known here shows the catalogue's words; an
// unknown one (a newer server) shows the server's own text: never a blank, never a raw key.
// tests/staff/test_server_codes.py checks that every code the server can send is listed below.

import { tCode } from "./i18n.js";

const REFUSAL_KEYS = {
  // HTTP refusals the staff pages show (backend/refusals.py, English word for word).
  "login.too_large": "server.login_too_large",
  "login.media_type": "server.login_media_type",
  "login.unreadable": "server.login_unreadable",
  "login.incomplete": "server.login_incomplete",
  "login.locked": "server.login_locked",
  "login.wrong": "server.login_wrong",
  "staff.log_in": "server.staff_log_in",
  "staff.not_allowed": "server.staff_not_allowed",
  "request.too_large": "server.request_too_large",
  "request.cross_origin": "server.request_cross_origin",
  "request.not_json": "server.request_not_json",
  "request.invalid": "server.request_invalid",
  "fleet.no_such_kiosk": "server.fleet_no_such_kiosk",
  "fleet.confirm_mismatch": "server.fleet_confirm_mismatch",
  "analytics.bad_date": "server.analytics_bad_date",
  "analytics.bad_code": "server.analytics_bad_code",
  "analytics.period_backwards": "server.analytics_period_backwards",
  "analytics.period_too_long": "server.analytics_period_too_long",
  "analytics.channel_twice": "server.analytics_channel_twice",
  // The hub's refusals (backend/routing, backend/hub, video/signaling.py).
  "agent.bad_state": "server.agent_bad_state",
  "agent.busy": "server.agent_busy",
  "agent.not_wrapping_up": "server.agent_not_wrapping_up",
  "agent.unknown": "server.agent_unknown",
  "call.already_active": "server.call_already_active",
  "call.no_queue": "server.call_no_queue",
  "call.not_connected": "server.call_not_connected",
  "call.not_offered": "server.call_not_offered",
  "call.not_waiting": "server.call_not_waiting",
  "call.not_yours": "server.call_not_yours",
  "call.unknown": "server.call_unknown",
  "call.wrong_kiosk": "server.call_wrong_kiosk",
  "callback.bad_slot": "server.callback_bad_slot",
  "callback.not_offered": "server.callback_not_offered",
  "signal.bad_json": "server.signal_bad_json",
  "signal.invalid": "server.signal_invalid",
  "signal.not_an_object": "server.signal_not_an_object",
  "signal.rate_limited": "server.signal_rate_limited",
  "signal.too_large": "server.signal_too_large",
  "signal.unexpected": "server.signal_unexpected",
  "signal.unknown_type": "server.signal_unknown_type",
  "signal.unsupported_version": "server.signal_unsupported_version",
  "transfer.agent_unavailable": "server.transfer_agent_unavailable",
  "transfer.same_agent": "server.transfer_same_agent",
  "transfer.unknown_queue": "server.transfer_unknown_queue",
  "transfer.wrong_language": "server.transfer_wrong_language",
};

/**
 * The refusal `code` in the current language (with the server's `params` filled in), or
 * `serverText` for a code this page does not know, or `fallback` when there is neither.
 */
export function refusalText(code, serverText, params, fallback = "") {
  const known = typeof code === "string" ? code : "";
  const filled = params && typeof params === "object" ? params : {};
  const said = (typeof serverText === "string" && serverText) || fallback;
  return tCode(REFUSAL_KEYS, known, filled, said);
}

/** The refusal in an HTTP answer's JSON body ({detail, code, params}); "" if it says none. */
export function answerRefusal(body) {
  return refusalText(body?.code, body?.detail, body?.params);
}
