// The side panel's state: one pure reducer over the service worker's messages and the panel's own
// actions, plus the small formatting helpers the view needs. No DOM, no chrome.*: node tests it.

/**
 * The protocol's types, generated from `bridge/protocol.py`.
 * @typedef {import("./protocol_types.js").SessionView} SessionView
 * @typedef {SessionView["status"]} SessionStatus
 * @typedef {import("./protocol_types.js").PersonTurn} PersonTurn
 * @typedef {import("./protocol_types.js").StepView} StepView
 * @typedef {import("./protocol_types.js").ApprovalRequestEvent} ApprovalRequest
 * @typedef {import("./protocol_types.js").SettingsEvent} Settings
 *
 * @typedef {{state: "unpaired"|"connecting"|"connected"|"refused"|"unreachable", detail?: string, port: number}} Connection
 * @typedef {{state: "queued"|"retrying"|"uploaded"|"refused"|"withdrawing"|"withdrawn", collector: string,
 *   error?: string|null}} UploadStatus
 * @typedef {{id: string, task: string, status: string, created_at: string, steps: number, shared: boolean,
 *   upload?: UploadStatus|null}} SessionSummary
 *
 * Messages from the service worker (bridge events forwarded unchanged, plus `state` and `connection`).
 * @typedef {{type: "state", connection: Connection, session: SessionView|null, steps: StepView[],
 *   approval: ApprovalRequest|null, settings?: Settings|null}} StateMessage
 * @typedef {StateMessage
 *   | {type: "connection", connection: Connection}
 *   | import("./protocol_types.js").SessionEvent
 *   | import("./protocol_types.js").StepEvent
 *   | ApprovalRequest
 *   | Settings
 *   | import("./protocol_types.js").ErrorMessage} WorkerMessage
 *
 * The panel's own actions.
 * @typedef {{type: "port_lost"}
 *   | {type: "submitted", what: "task"|"follow_up"}
 *   | {type: "approval_answered", request_id: string}
 *   | {type: "consent_set", session_id: string, shared: boolean}
 *   | {type: "error_dismissed"}
 *   | {type: "show_tab", tab: Tab}
 *   | {type: "history_loading"}
 *   | {type: "history_loaded", sessions: SessionSummary[]}
 *   | {type: "history_failed", message: string}
 *   | {type: "reopened", session: SessionView, steps: StepView[]}
 *   | {type: "reopen_closed"}
 *   | {type: "delete_requested", session_id: string}
 *   | {type: "delete_cancelled"}
 *   | {type: "session_deleted", session_id: string}
 *   | {type: "preview_loading", session_id: string}
 *   | {type: "preview_loaded", session_id: string, trajectory: unknown, screenshots: string[]}
 *   | {type: "preview_failed", session_id: string, message: string}
 *   | {type: "preview_closed"}
 *   | {type: "pairing_opened"}
 *   | {type: "pairing_closed"}
 *   | {type: "compose", mode: "continue"|"new"}
 *   | {type: "error", message: string}} PanelAction
 *
 * @typedef {WorkerMessage|PanelAction} Message
 *
 * @typedef {"live"|"history"|"settings"} Tab
 * @typedef {{status: "idle"|"loading"|"ready"|"failed", sessions: SessionSummary[], error: string|null,
 *   confirming_delete: string|null, reopened: {session: SessionView, steps: StepView[]}|null}} HistoryState
 * @typedef {{session_id: string, status: "loading"|"ready"|"failed", trajectory: unknown, screenshots: string[],
 *   error: string|null}} PreviewState
 * @typedef {{
 *   worker: "connecting"|"connected"|"lost",
 *   connection: Connection|null,
 *   session: SessionView|null,
 *   steps: StepView[],
 *   approval: ApprovalRequest|null,
 *   submitting: "task"|"follow_up"|null,
 *   error: string|null,
 *   tab: Tab,
 *   history: HistoryState,
 *   preview: PreviewState|null,
 *   settings: Settings|null,
 *   pairing: boolean,
 *   compose: "continue"|"new",
 * }} PanelState
 * `worker` is the Port to the service worker; `connection` is the worker's link to the bridge.
 * `submitting` is what was sent (a task or a follow-up) until the bridge answers.
 * `pairing` is the person's "Change pairing": the form shows even while connected.
 * `compose` is what the one text box at the bottom does once a task has ended: continue it, or start anew.
 */

export const DEFAULT_PORT = 8765;

/** @returns {PanelState} */
export function initialState() {
  return {
    worker: "connecting",
    connection: null,
    session: null,
    steps: [],
    approval: null,
    submitting: null,
    error: null,
    tab: "live",
    history: { status: "idle", sessions: [], error: null, confirming_delete: null, reopened: null },
    preview: null,
    settings: null,
    pairing: false,
    compose: "continue",
  };
}

/**
 * @param {PanelState} state
 * @param {Message} message
 * @returns {PanelState}
 */
export function reduce(state, message) {
  switch (message.type) {
    case "state":
      return {
        ...state,
        worker: "connected",
        connection: message.connection,
        session: message.session,
        steps: sortedSteps(message.steps),
        approval: message.approval,
        settings: message.settings ?? state.settings,
        submitting: null,
        history: patchHistoryRow(state.history, message.session),
      };
    case "connection":
      // A new connection after "Change pairing" closes the form; a refusal keeps it open.
      return { ...state, connection: message.connection, pairing: state.pairing && message.connection.state !== "connected" };
    case "settings":
      return { ...state, settings: message };
    case "pairing_opened":
      return { ...state, pairing: true };
    case "pairing_closed":
      return { ...state, pairing: false };
    case "compose":
      return { ...state, compose: message.mode };
    case "session":
      return onSession(state, message.session);
    case "step":
      if (state.session?.id !== message.session_id) return state;
      return { ...state, steps: upsertStep(state.steps, message.step) };
    case "approval_request":
      if (state.session && state.session.id !== message.session_id) return state;
      return { ...state, approval: message };
    case "error":
      return { ...state, error: message.message, submitting: null };
    case "port_lost":
      return { ...state, worker: "lost", submitting: null };
    case "submitted":
      return { ...state, submitting: message.what, error: null };
    case "approval_answered":
      return state.approval?.request_id === message.request_id ? { ...state, approval: null } : state;
    case "consent_set":
      return onConsent(state, message.session_id, message.shared);
    case "error_dismissed":
      return { ...state, error: null };
    case "show_tab":
      return { ...state, tab: message.tab };
    case "history_loading":
      return withHistory(state, { status: "loading", error: null });
    case "history_loaded":
      return withHistory(state, { status: "ready", sessions: message.sessions.map(normalizeSummary), error: null });
    case "history_failed":
      return withHistory(state, { status: "failed", error: message.message });
    case "reopened":
      return withHistory(state, { reopened: { session: message.session, steps: sortedSteps(message.steps) } });
    case "reopen_closed":
      return withHistory(state, { reopened: null });
    case "delete_requested":
      return withHistory(state, { confirming_delete: message.session_id });
    case "delete_cancelled":
      return withHistory(state, { confirming_delete: null });
    case "session_deleted":
      return onDeleted(state, message.session_id);
    case "preview_loading":
      return { ...state, preview: emptyPreview(message.session_id) };
    case "preview_loaded":
      return withPreview(state, message.session_id, {
        status: "ready",
        trajectory: message.trajectory,
        screenshots: message.screenshots,
      });
    case "preview_failed":
      return withPreview(state, message.session_id, { status: "failed", error: message.message });
    case "preview_closed":
      return { ...state, preview: null };
    default:
      return state; // a message type this panel does not know (a newer worker): ignore it
  }
}

/**
 * A session event either updates the current session or, for another id, starts a new timeline.
 * @param {PanelState} state
 * @param {SessionView} session
 * @returns {PanelState}
 */
function onSession(state, session) {
  const same = state.session?.id === session.id;
  const approvalStillPending = same && session.status === "awaiting_approval";
  return {
    ...state,
    session,
    steps: same ? state.steps : [],
    approval: approvalStillPending ? state.approval : null,
    compose: same ? state.compose : "continue",
    submitting: null,
    history: patchHistoryRow(state.history, session),
  };
}

/**
 * @param {PanelState} state
 * @param {string} sessionId
 * @param {boolean} shared
 * @returns {PanelState}
 */
function onConsent(state, sessionId, shared) {
  const { history } = state;
  const reopened = history.reopened;
  return {
    ...state,
    session: state.session?.id === sessionId ? { ...state.session, shared } : state.session,
    history: {
      ...history,
      sessions: history.sessions.map((row) => (row.id === sessionId ? { ...row, shared, upload: afterConsent(row.upload, shared) } : row)),
      reopened: reopened?.session.id === sessionId ? { ...reopened, session: { ...reopened.session, shared } } : reopened,
    },
  };
}

/**
 * Un-sharing an uploaded session sends its deletion to the collector: say so until the list is reloaded.
 * @param {UploadStatus|null|undefined} upload
 * @param {boolean} shared
 * @returns {UploadStatus|null|undefined}
 */
function afterConsent(upload, shared) {
  return !shared && upload?.state === "uploaded" ? { ...upload, state: "withdrawing", error: null } : upload;
}

/**
 * @param {PanelState} state
 * @param {string} sessionId
 * @returns {PanelState}
 */
function onDeleted(state, sessionId) {
  const { history } = state;
  const deletedLive = state.session?.id === sessionId; // only an ended session can be deleted
  return {
    ...state,
    ...(deletedLive ? { session: null, steps: [], approval: null } : {}),
    preview: state.preview?.session_id === sessionId ? null : state.preview,
    history: {
      ...history,
      sessions: history.sessions.filter((row) => row.id !== sessionId),
      confirming_delete: null,
      reopened: history.reopened?.session.id === sessionId ? null : history.reopened,
    },
  };
}

/**
 * @param {PanelState} state
 * @param {Partial<HistoryState>} changes
 * @returns {PanelState}
 */
function withHistory(state, changes) {
  return { ...state, history: { ...state.history, ...changes } };
}

/**
 * Applies a preview result only if it is still the preview the person asked for.
 * @param {PanelState} state
 * @param {string} sessionId
 * @param {Partial<PreviewState>} changes
 * @returns {PanelState}
 */
function withPreview(state, sessionId, changes) {
  if (state.preview?.session_id !== sessionId) return state;
  return { ...state, preview: { ...state.preview, ...changes } };
}

/**
 * @param {string} sessionId
 * @returns {PreviewState}
 */
function emptyPreview(sessionId) {
  return { session_id: sessionId, status: "loading", trajectory: null, screenshots: [], error: null };
}

/**
 * Keeps the history list in step with live session events, so it never shows a stale status.
 * @param {HistoryState} history
 * @param {SessionView|null} session
 * @returns {HistoryState}
 */
function patchHistoryRow(history, session) {
  if (!session || !history.sessions.some((row) => row.id === session.id)) return history;
  const patch = { status: session.status, steps: session.steps, shared: session.shared, task: session.task };
  return { ...history, sessions: history.sessions.map((row) => (row.id === session.id ? { ...row, ...patch } : row)) };
}

/**
 * The store reports `shared` as 0/1; the view wants a boolean.
 * @param {SessionSummary} row
 * @returns {SessionSummary}
 */
function normalizeSummary(row) {
  return { ...row, shared: Boolean(row.shared) };
}

/**
 * Replaces a step with the same index (a re-sent step after a reconnect) or inserts it in order.
 * @param {StepView[]} steps
 * @param {StepView} step
 * @returns {StepView[]}
 */
function upsertStep(steps, step) {
  return sortedSteps([...steps.filter((existing) => existing.index !== step.index), step]);
}

/**
 * @param {StepView[]} steps
 * @returns {StepView[]}
 */
function sortedSteps(steps) {
  return [...steps].sort((a, b) => a.index - b.index);
}

// -- what a status means ------------------------------------------------------------------------

/** @type {Record<SessionStatus, {label: string, tone: Tone}>} */
const STATUSES = {
  running: { label: "Working", tone: "busy" },
  paused: { label: "Paused", tone: "attention" },
  taken_over: { label: "You're in control", tone: "attention" },
  awaiting_approval: { label: "Needs your approval", tone: "attention" },
  awaiting_user: { label: "Done", tone: "ok" },
  stopped: { label: "Stopped", tone: "muted" },
  error: { label: "Error", tone: "bad" },
  cancelled: { label: "Cancelled", tone: "muted" },
  interrupted: { label: "Interrupted", tone: "attention" },
};

/** @typedef {"ok"|"busy"|"attention"|"bad"|"muted"} Tone */

/**
 * @param {string} status
 * @returns {{label: string, tone: Tone}}
 */
export function describeStatus(status) {
  return status in STATUSES ? STATUSES[/** @type {SessionStatus} */ (status)] : { label: status, tone: "muted" };
}

/**
 * Whether the agent owns the session right now (controls shown, new tasks blocked).
 * @param {string} status
 */
export function isActive(status) {
  return ["running", "paused", "taken_over", "awaiting_approval"].includes(status);
}

/**
 * Whether a follow-up message continues the session: after an answer, after a bridge restart, or after an
 * error (a model outage, say), so the person need not start over.
 * @param {string} status
 */
export function canFollowUp(status) {
  return status === "awaiting_user" || status === "interrupted" || status === "error";
}

/**
 * @param {PanelState} state
 */
export function canStartTask(state) {
  const busy = state.session !== null && isActive(state.session.status);
  return state.worker === "connected" && state.connection?.state === "connected" && !busy && !state.submitting;
}

/**
 * @param {PanelState} state
 */
export function needsPairing(state) {
  return state.pairing || ["unpaired", "refused", "unreachable"].includes(state.connection?.state ?? "");
}

/**
 * The line under the task box: why Start is unavailable, or how to use it.
 * @param {PanelState} state
 * @param {string} shortcut the modifier key's name on this platform ("Ctrl" or "⌘")
 */
export function taskHint(state, shortcut) {
  if (state.session && isActive(state.session.status)) return "Fara is working on a task. Stop it to start another.";
  if (state.submitting === "task") return "Starting…";
  if (state.connection?.state === "unreachable") return "Start Farol on this computer first: run farol serve.";
  if (needsPairing(state)) return "Pair with Farol above to start a task.";
  if (state.worker !== "connected" || state.connection?.state !== "connected") return "Waiting for Farol…";
  return `${shortcut}+Enter to start. Fara uses this tab unless you give a start URL.`;
}

/**
 * The card under a finished session's timeline; null while the agent owns the session.
 * @param {SessionView} session
 * @returns {{title: string, text: string, tone: Tone}|null}
 */
export function describeOutcome(session) {
  const reason = session.reason?.trim();
  switch (session.status) {
    case "awaiting_user":
      return { title: "Answer", text: session.final_answer?.trim() || "Fara finished without a written answer.", tone: "ok" };
    case "stopped":
      return { title: "Stopped", text: reason || "The task was stopped.", tone: "muted" };
    case "cancelled":
      return { title: "Cancelled", text: reason || "The task was cancelled.", tone: "muted" };
    case "error":
      return { title: "Something went wrong", text: reason || "The task ended with an error.", tone: "bad" };
    case "interrupted":
      return { title: "Interrupted", text: reason || "Farol restarted while this task was running.", tone: "attention" };
    default:
      return null;
  }
}

/**
 * The line under a live timeline while the agent owns the session; null when there is nothing to say.
 * @param {SessionView} session
 */
export function progressLine(session) {
  if (session.status === "running") return session.notice || "Working on the next step…";
  if (session.status === "paused") return session.reason ? `Paused: ${session.reason}` : "Paused. Fara waits until you resume.";
  return null;
}

/**
 * The one status line at the top of the panel.
 * @param {PanelState} state
 * @returns {{tone: Tone, text: string}}
 */
export function connectionLine(state) {
  if (state.worker === "lost") return { tone: "busy", text: "Reconnecting to the extension…" };
  const connection = state.connection;
  if (!connection) return { tone: "busy", text: "Starting…" };
  switch (connection.state) {
    case "connected":
      return { tone: "ok", text: `Connected to Farol on port ${connection.port}` };
    case "connecting":
      return { tone: "busy", text: `Connecting to Farol on port ${connection.port}…` };
    case "unpaired":
      return { tone: "muted", text: "Not paired with Farol" };
    case "refused":
      return { tone: "bad", text: connection.detail || `Farol on port ${connection.port} refused the connection` };
    case "unreachable":
      return { tone: "bad", text: connection.detail || `Farol is not running on port ${connection.port}: run farol serve` };
  }
}

// -- formatting ---------------------------------------------------------------------------------

/**
 * A URL without the noise (scheme, "www.", a lone trailing slash); the full URL goes in a tooltip.
 * @param {string} url
 */
export function shortUrl(url) {
  return url.replace(/^https?:\/\//, "").replace(/^www\./, "").replace(/^([^/?#]*)\/$/, "$1");
}

/**
 * A history date: the time for today, the day and month this year, the full date otherwise.
 * @param {string} iso
 * @param {Date} now
 * @param {string|undefined} [locale] the browser's when undefined
 */
export function formatWhen(iso, now, locale) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  if (when.toDateString() === now.toDateString()) {
    return when.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  }
  const sameYear = when.getFullYear() === now.getFullYear();
  return when.toLocaleDateString(locale, { day: "numeric", month: "short", ...(sameYear ? {} : { year: "numeric" }) });
}

/**
 * What the person typed as a start URL, made navigable; undefined (use the active tab) when empty.
 * @param {string} text
 * @returns {string|undefined}
 */
export function normalizeStartUrl(text) {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  return /^[a-z][a-z0-9+.-]*:/i.test(trimmed) ? trimmed : `https://${trimmed}`;
}

/**
 * Resolves a URL the bridge returned against its base, refusing any other origin so the bearer
 * token is never sent anywhere but the local bridge.
 * @param {string} url
 * @param {string} base e.g. "http://127.0.0.1:8765"
 */
export function bridgeUrl(url, base) {
  const resolved = new URL(url, base);
  if (resolved.origin !== new URL(base).origin) throw new Error(`Not a Farol bridge URL: ${url}`);
  return resolved.href;
}

/**
 * What the History says about a session's copy at the collector, in words ("" when it was never sent): the
 * collector is named and a problem is said in full, on the page (not in a tooltip).
 * @param {UploadStatus|null|undefined} upload
 * @returns {string}
 */
export function uploadLine(upload) {
  if (!upload) return "";
  const where = upload.collector;
  const why = upload.error ? ` (${upload.error.replace(/\.$/, "")})` : "";
  switch (upload.state) {
    case "queued":
      return `Waiting to upload to ${where}`;
    case "retrying":
      return `Not uploaded yet to ${where}${why}; Farol keeps trying`;
    case "uploaded":
      return `Uploaded to ${where}`;
    case "refused":
      return `${where} refused it${why}`;
    case "withdrawing":
      return `Being removed from ${where}`;
    case "withdrawn":
      return `Removed from ${where}`;
  }
}

/**
 * Where a shared session goes, said next to the share switch.
 * @param {Settings|null} settings
 * @param {boolean} shared
 */
export function consentLine(settings, shared) {
  const collector = settings?.collector;
  if (!collector) {
    return shared
      ? "Marked as shared, but kept on this computer: no collector is set (Settings)."
      : "Kept on this computer: no collector is set. Sharing marks it for a collector you set later.";
  }
  if (settings?.collector_refused) return `${collector} refused this computer's key: ${settings.collector_refused}`;
  return shared ? `Sent to ${collector} when the session ends.` : `Turn on to send it to ${collector}.`;
}

/**
 * The timeline: the person's turns (task, follow-ups, approvals) among the agent's steps, in order.
 * @param {StepView[]} steps
 * @param {PersonTurn[]} turns
 * @returns {({kind: "step", key: string, step: StepView}|{kind: "turn", key: string, turn: PersonTurn})[]}
 */
export function timelineEntries(steps, turns) {
  /** @type {({kind: "step", key: string, step: StepView}|{kind: "turn", key: string, turn: PersonTurn})[]} */
  const entries = [];
  const pending = [...turns];
  for (const step of steps) {
    while (pending.length && pending[0].before_step <= step.index) {
      const turn = /** @type {PersonTurn} */ (pending.shift());
      entries.push({ kind: "turn", key: `turn-${turn.at}-${turn.kind}`, turn });
    }
    entries.push({ kind: "step", key: `step-${step.index}`, step });
  }
  for (const turn of pending) entries.push({ kind: "turn", key: `turn-${turn.at}-${turn.kind}`, turn });
  return entries;
}

/**
 * @param {number} count
 * @param {string} noun singular; the plural adds an "s"
 */
export function countOf(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * Steps are numbered from 0 on the wire (the trajectory's index) and from 1 for people.
 * @param {StepView} step
 */
export function stepNumber(step) {
  return step.index + 1;
}

/**
 * @param {ApprovalRequest["kind"]} kind
 */
export function approvalTitle(kind) {
  return kind === "guard" ? "Approve this step?" : "Critical point: approve to go on?";
}

/**
 * What a screen reader should hear after a state change: new steps, a new card, a new status.
 * @param {PanelState} before
 * @param {PanelState} after
 * @returns {{text: string, urgent: boolean}[]}
 */
export function announcements(before, after) {
  /** @type {{text: string, urgent: boolean}[]} */
  const out = [];
  const sameSession = before.session !== null && before.session.id === after.session?.id;
  if (after.session && !sameSession) out.push({ text: `New task: ${after.session.task}`, urgent: false });
  if (sameSession) {
    const known = new Set(before.steps.map((step) => step.index));
    for (const step of after.steps.filter((s) => !known.has(s.index))) out.push({ text: stepSummary(step), urgent: false });
  }
  if (after.approval && after.approval.request_id !== before.approval?.request_id) {
    out.push({ text: `${approvalTitle(after.approval.kind)} ${after.approval.consequence || after.approval.reason}`, urgent: true });
  }
  if (sameSession && after.session && after.session.status !== before.session?.status) {
    out.push({ text: `Status: ${describeStatus(after.session.status).label}`, urgent: false });
  }
  if (after.error && after.error !== before.error) out.push({ text: after.error, urgent: true });
  return out;
}

/**
 * @param {StepView} step
 */
function stepSummary(step) {
  const line = `Step ${stepNumber(step)}: ${step.verb} ${step.detail}`.trim();
  return step.error ? `${line}. Failed: ${step.error}` : line;
}
