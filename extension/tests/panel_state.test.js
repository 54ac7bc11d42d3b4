import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PROTOCOL_VERSION } from "../protocol_types.js";

import {
  announcements,
  approvalTitle,
  bridgeUrl,
  canFollowUp,
  canStartTask,
  connectionLine,
  consentLine,
  countOf,
  describeOutcome,
  describeStatus,
  formatWhen,
  initialState,
  isActive,
  needsPairing,
  normalizeStartUrl,
  progressLine,
  reduce,
  shortUrl,
  stepNumber,
  taskHint,
  timelineEntries,
  uploadLine,
} from "../panel_state.js";

/**
 * @typedef {import("../panel_state.js").PanelState} PanelState
 * @typedef {import("../panel_state.js").Message} Message
 * @typedef {import("../panel_state.js").SessionView} SessionView
 * @typedef {import("../panel_state.js").StepView} StepView
 * @typedef {import("../panel_state.js").ApprovalRequest} ApprovalRequest
 * @typedef {import("../panel_state.js").Connection} Connection
 * @typedef {import("../panel_state.js").SessionSummary} SessionSummary
 */

/** @type {Connection} */
const CONNECTED = { state: "connected", port: 8765 };

/**
 * @param {Partial<SessionView>} [overrides]
 * @returns {SessionView}
 */
function session(overrides = {}) {
  return { id: "s1", task: "Buy a cable", status: "running", steps: 0, shared: false, turns: [], ...overrides };
}

/**
 * @param {number} index
 * @param {Partial<StepView>} [overrides]
 * @returns {StepView}
 */
function step(index, overrides = {}) {
  return { index, thoughts: `thinking ${index}`, verb: "Click", detail: `the button “B${index}”`, url: "https://a.example/", not_run: false, ...overrides };
}

/**
 * @param {Partial<ApprovalRequest>} [overrides]
 * @returns {ApprovalRequest}
 */
function approval(overrides = {}) {
  return {
    v: PROTOCOL_VERSION,
    type: "approval_request",
    session_id: "s1",
    request_id: "r1",
    kind: "critical_point",
    reason: "Placing the order charges €12.",
    thoughts: "I should ask first.",
    screenshot: "data:image/jpeg;base64,AAAA",
    site: "",
    consequence: "",
    ...overrides,
  };
}

/**
 * @param {Partial<SessionSummary>} [overrides]
 * @returns {SessionSummary}
 */
function summary(overrides = {}) {
  return { id: "s1", task: "Buy a cable", status: "running", created_at: "2026-01-01T10:00:00Z", steps: 0, shared: false, ...overrides };
}

/**
 * Freezes every object reachable from the value, so a test fails if the reducer mutates its input.
 * @template T
 * @param {T} value
 * @returns {T}
 */
function deepFreeze(value) {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Applies messages in order to frozen states.
 * @param {PanelState} state
 * @param {...Message} messages
 */
function run(state, ...messages) {
  return messages.reduce((current, message) => reduce(deepFreeze(current), message), state);
}

/**
 * A panel connected to the bridge with a live session.
 * @param {Partial<SessionView>} [overrides]
 * @param {StepView[]} [steps]
 */
function live(overrides = {}, steps = []) {
  return run(initialState(), {
    type: "state",
    connection: CONNECTED,
    session: session(overrides),
    steps,
    approval: null,
  });
}

describe("state message (first message, and after every reconnect)", () => {
  test("replaces the live parts and marks the worker connected", () => {
    const state = run(initialState(), {
      type: "state",
      connection: CONNECTED,
      session: session({ status: "awaiting_approval" }),
      steps: [step(2), step(0), step(1)],
      approval: approval(),
    });
    assert.equal(state.worker, "connected");
    assert.deepEqual(state.connection, CONNECTED);
    assert.equal(state.session?.status, "awaiting_approval");
    assert.deepEqual(state.steps.map((s) => s.index), [0, 1, 2]);
    assert.equal(state.approval?.request_id, "r1");
  });

  test("keeps the panel's own state: tab, history, preview", () => {
    const before = run(
      initialState(),
      { type: "show_tab", tab: "history" },
      { type: "history_loaded", sessions: [summary()] },
      { type: "preview_loading", session_id: "s1" },
    );
    const after = run(before, { type: "state", connection: CONNECTED, session: null, steps: [], approval: null });
    assert.equal(after.tab, "history");
    assert.equal(after.history.sessions.length, 1);
    assert.equal(after.preview?.session_id, "s1");
  });

  test("clears a pending submission (the worker restarted and reports what it knows)", () => {
    const state = run(live({ status: "awaiting_user" }), { type: "submitted", what: "task" });
    assert.equal(run(state, { type: "state", connection: CONNECTED, session: null, steps: [], approval: null }).submitting, null);
  });
});

describe("reconnecting to the service worker", () => {
  test("port_lost marks the worker lost but keeps what is on screen", () => {
    const state = run(live({}, [step(0)]), { type: "port_lost" });
    assert.equal(state.worker, "lost");
    assert.equal(state.steps.length, 1);
    assert.deepEqual(connectionLine(state), { tone: "busy", text: "Reconnecting to the extension…" });
    assert.equal(canStartTask(run(state, { v: PROTOCOL_VERSION, type: "session", session: session({ status: "stopped" }) })), false);
  });

  test("the state after a reconnect brings it back, with the worker's view of the session", () => {
    const lost = run(live({}, [step(0)]), { type: "port_lost" });
    const back = run(lost, {
      type: "state",
      connection: CONNECTED,
      session: session({ steps: 2 }),
      steps: [step(0), step(1)],
      approval: null,
    });
    assert.equal(back.worker, "connected");
    assert.equal(back.steps.length, 2);
  });

  test("a pending submission is dropped when the worker goes away", () => {
    const state = run(live({ status: "stopped" }), { type: "submitted", what: "task" }, { type: "port_lost" });
    assert.equal(state.submitting, null);
  });
});

describe("connection", () => {
  test("connection messages replace the connection", () => {
    const state = run(live(), { type: "connection", connection: { state: "refused", port: 9000, detail: "Wrong token" } });
    assert.equal(state.connection?.state, "refused");
    assert.equal(needsPairing(state), true);
    assert.deepEqual(connectionLine(state), { tone: "bad", text: "Wrong token" });
  });

  test("the status line for each state", () => {
    /** @param {Connection} connection */
    const line = (connection) => connectionLine(run(initialState(), { type: "connection", connection }));
    assert.deepEqual(connectionLine(initialState()), { tone: "busy", text: "Starting…" });
    assert.equal(line({ state: "connected", port: 8765 }).text, "Connected to Farol on port 8765");
    assert.equal(line({ state: "connecting", port: 8765 }).tone, "busy");
    assert.equal(line({ state: "unpaired", port: 8765 }).text, "Not paired with Farol");
    assert.match(line({ state: "refused", port: 8765 }).text, /refused/);
  });

  test("a bridge that does not answer says how to start it, and a refusal keeps the form open", () => {
    const unreachable = run(live(), {
      type: "connection",
      connection: { state: "unreachable", port: 9000, detail: "Farol is not running on port 9000: run `farol serve` on this computer." },
    });
    assert.deepEqual(connectionLine(unreachable), {
      tone: "bad",
      text: "Farol is not running on port 9000: run `farol serve` on this computer.",
    });
    assert.match(taskHint(run(initialState(), { type: "connection", connection: { state: "unreachable", port: 1 } }), "Ctrl"), /farol serve/);
    const changing = run(live(), { type: "pairing_opened" });
    assert.equal(needsPairing(changing), true);
    assert.equal(needsPairing(run(changing, { type: "connection", connection: { state: "refused", port: 1 } })), true);
    assert.equal(needsPairing(run(changing, { type: "connection", connection: CONNECTED })), false);
    assert.equal(needsPairing(run(changing, { type: "pairing_closed" })), false);
  });

  test("the pairing form shows when unpaired, refused or unreachable (a wrong port, say)", () => {
    /** @param {Connection["state"]} name */
    const pairing = (name) => needsPairing(run(initialState(), { type: "connection", connection: { state: name, port: 1 } }));
    assert.deepEqual(
      ["unpaired", "refused", "unreachable", "connecting", "connected"].map((name) => pairing(/** @type {Connection["state"]} */ (name))),
      [true, true, true, false, false],
    );
    assert.equal(needsPairing(initialState()), false);
  });
});

describe("session events", () => {
  test("the same session updates in place and keeps its steps", () => {
    const state = run(live({}, [step(0)]), { v: PROTOCOL_VERSION, type: "session", session: session({ status: "paused", steps: 1 }) });
    assert.equal(state.session?.status, "paused");
    assert.equal(state.steps.length, 1);
  });

  test("another session id replaces the timeline", () => {
    const state = run(
      live({ status: "awaiting_approval" }, [step(0), step(1)]),
      approval(),
      { v: PROTOCOL_VERSION, type: "session", session: session({ id: "s2", task: "Something else" }) },
    );
    assert.equal(state.session?.id, "s2");
    assert.deepEqual(state.steps, []);
    assert.equal(state.approval, null);
  });

  test("the first session event starts a timeline", () => {
    const state = run(initialState(), { v: PROTOCOL_VERSION, type: "session", session: session() }, { v: PROTOCOL_VERSION, type: "step", session_id: "s1", step: step(0) });
    assert.equal(state.steps.length, 1);
  });

  test("keeps a loaded history row in step with the live status", () => {
    const state = run(
      live(),
      { type: "history_loaded", sessions: [summary(), summary({ id: "other", status: "stopped" })] },
      { v: PROTOCOL_VERSION, type: "session", session: session({ status: "awaiting_user", steps: 4, shared: true }) },
    );
    assert.deepEqual(
      state.history.sessions.map((row) => [row.id, row.status, row.steps, row.shared]),
      [["s1", "awaiting_user", 4, true], ["other", "stopped", 0, false]],
    );
  });
});

describe("step events", () => {
  test("append in index order", () => {
    const state = run(
      live(),
      { v: PROTOCOL_VERSION, type: "step", session_id: "s1", step: step(0) },
      { v: PROTOCOL_VERSION, type: "step", session_id: "s1", step: step(2) },
      { v: PROTOCOL_VERSION, type: "step", session_id: "s1", step: step(1) },
    );
    assert.deepEqual(state.steps.map((s) => s.index), [0, 1, 2]);
  });

  test("a step with a known index replaces it (resent after a reconnect)", () => {
    const state = run(live({}, [step(0)]), { v: PROTOCOL_VERSION, type: "step", session_id: "s1", step: step(0, { error: "Tab closed" }) });
    assert.equal(state.steps.length, 1);
    assert.equal(state.steps[0].error, "Tab closed");
  });

  test("steps of another session are ignored", () => {
    const before = live();
    assert.equal(reduce(before, { v: PROTOCOL_VERSION, type: "step", session_id: "s0", step: step(0) }), before);
  });

  test("steps before any session are ignored", () => {
    const before = initialState();
    assert.equal(reduce(before, { v: PROTOCOL_VERSION, type: "step", session_id: "s1", step: step(0) }), before);
  });

  test("untouched steps keep their identity, so the view rebuilds only what changed", () => {
    const before = live({}, [step(0)]);
    const after = run(before, { v: PROTOCOL_VERSION, type: "step", session_id: "s1", step: step(1) });
    assert.equal(after.steps[0], before.steps[0]);
  });
});

describe("approval lifecycle", () => {
  const waiting = () => run(live({ status: "awaiting_approval" }), approval());

  test("a request for the live session shows a card", () => {
    assert.equal(waiting().approval?.request_id, "r1");
  });

  test("a request for another session is ignored", () => {
    const before = live();
    assert.equal(reduce(before, approval({ session_id: "s9" })), before);
  });

  test("a session event still awaiting approval keeps the card", () => {
    const state = run(waiting(), { v: PROTOCOL_VERSION, type: "session", session: session({ status: "awaiting_approval", steps: 3 }) });
    assert.equal(state.approval?.request_id, "r1");
  });

  test("a session event with another status removes the card", () => {
    for (const status of /** @type {const} */ (["running", "taken_over", "stopped", "awaiting_user"])) {
      assert.equal(run(waiting(), { v: PROTOCOL_VERSION, type: "session", session: session({ status }) }).approval, null, status);
    }
  });

  test("answering removes the card at once", () => {
    assert.equal(run(waiting(), { type: "approval_answered", request_id: "r1" }).approval, null);
  });

  test("an answer to an older request leaves a newer card alone", () => {
    const state = run(waiting(), approval({ request_id: "r2" }), { type: "approval_answered", request_id: "r1" });
    assert.equal(state.approval?.request_id, "r2");
  });

  test("a guard card and a critical point are titled differently", () => {
    assert.equal(approvalTitle("guard"), "Approve this step?");
    assert.equal(approvalTitle("critical_point"), "Critical point: approve to go on?");
  });
});

describe("submitting tasks and follow-ups", () => {
  test("a task can start only when connected and nothing runs", () => {
    assert.equal(canStartTask(initialState()), false);
    assert.equal(canStartTask(live()), false);
    assert.equal(canStartTask(live({ status: "awaiting_user" })), true);
    const idle = run(initialState(), { type: "state", connection: CONNECTED, session: null, steps: [], approval: null });
    assert.equal(canStartTask(idle), true);
    assert.equal(canStartTask(run(idle, { type: "connection", connection: { state: "connecting", port: 8765 } })), false);
  });

  test("submitting blocks a second start until the bridge answers with a session", () => {
    const idle = run(initialState(), { type: "state", connection: CONNECTED, session: null, steps: [], approval: null });
    const sent = run(idle, { type: "submitted", what: "task" });
    assert.equal(sent.submitting, "task");
    assert.equal(canStartTask(sent), false);
    assert.equal(taskHint(sent, "Ctrl"), "Starting…");
    const started = run(sent, { v: PROTOCOL_VERSION, type: "session", session: session() });
    assert.equal(started.submitting, null);
  });

  test("an error ends the submission and is shown until dismissed", () => {
    const state = run(live({ status: "awaiting_user" }), { type: "submitted", what: "task" }, { type: "error", message: "No model" });
    assert.equal(state.submitting, null);
    assert.equal(state.error, "No model");
    assert.equal(run(state, { type: "error_dismissed" }).error, null);
  });

  test("submitting clears an old error", () => {
    const state = run(live({ status: "stopped" }), { type: "error", message: "old" }, { type: "submitted", what: "task" });
    assert.equal(state.error, null);
  });

  test("a follow-up continues the same session and keeps its timeline", () => {
    const done = live({ status: "awaiting_user", final_answer: "Done.", steps: 2 }, [step(0), step(1)]);
    assert.equal(canFollowUp(done.session?.status ?? ""), true);
    const sent = run(done, { type: "submitted", what: "follow_up" });
    assert.equal(sent.submitting, "follow_up");
    assert.notEqual(taskHint(sent, "Ctrl"), "Starting…");
    const resumed = run(
      sent,
      { v: PROTOCOL_VERSION, type: "session", session: session({ status: "running", steps: 2 }) },
      { v: PROTOCOL_VERSION, type: "step", session_id: "s1", step: step(2) },
    );
    assert.equal(resumed.submitting, null);
    assert.deepEqual(resumed.steps.map((s) => s.index), [0, 1, 2]);
  });

  test("interrupted and errored sessions can be continued; stopped ones cannot", () => {
    for (const status of ["interrupted", "awaiting_user", "error"]) assert.equal(canFollowUp(status), true, status);
    for (const status of ["running", "stopped", "cancelled"]) assert.equal(canFollowUp(status), false, status);
  });
});

describe("consent", () => {
  test("updates the live session, its history row and a reopened copy", () => {
    const state = run(
      live({ status: "awaiting_user" }),
      { type: "history_loaded", sessions: [summary({ status: "awaiting_user" })] },
      { type: "reopened", session: session({ status: "awaiting_user" }), steps: [] },
      { type: "consent_set", session_id: "s1", shared: true },
    );
    assert.equal(state.session?.shared, true);
    assert.equal(state.history.sessions[0].shared, true);
    assert.equal(state.history.reopened?.session.shared, true);
  });

  test("leaves other sessions alone", () => {
    const state = run(
      live({ status: "awaiting_user" }),
      { type: "history_loaded", sessions: [summary({ id: "old", shared: true })] },
      { type: "consent_set", session_id: "old", shared: false },
    );
    assert.equal(state.session?.shared, false);
    assert.equal(state.history.sessions[0].shared, false);
    assert.equal(run(state, { type: "consent_set", session_id: "s1", shared: true }).history.sessions[0].shared, false);
  });

  test("un-sharing an uploaded session shows its removal from the collector as pending", () => {
    const uploaded = { state: /** @type {const} */ ("uploaded"), collector: "https://c.example" };
    const state = run(
      initialState(),
      { type: "history_loaded", sessions: [summary({ id: "a", shared: true, upload: uploaded }), summary({ id: "b", shared: true })] },
      { type: "consent_set", session_id: "a", shared: false },
      { type: "consent_set", session_id: "b", shared: false },
    );
    assert.deepEqual(state.history.sessions[0].upload, { ...uploaded, state: "withdrawing", error: null });
    assert.equal(state.history.sessions[1].upload, undefined);
  });

  test("the bridge's echo of the session confirms it", () => {
    const state = run(live({ status: "awaiting_user" }), { v: PROTOCOL_VERSION, type: "session", session: session({ status: "awaiting_user", shared: true }) });
    assert.equal(state.session?.shared, true);
  });
});

describe("share preview", () => {
  test("loading then loaded", () => {
    const state = run(
      live({ status: "awaiting_user" }),
      { type: "preview_loading", session_id: "s1" },
      { type: "preview_loaded", session_id: "s1", trajectory: { task: "x" }, screenshots: ["blob:1"] },
    );
    assert.deepEqual(state.preview, {
      session_id: "s1",
      status: "ready",
      trajectory: { task: "x" },
      screenshots: ["blob:1"],
      error: null,
    });
  });

  test("a late result for a preview the person left is ignored", () => {
    const closed = run(live(), { type: "preview_loading", session_id: "s1" }, { type: "preview_closed" });
    assert.equal(reduce(closed, { type: "preview_loaded", session_id: "s1", trajectory: {}, screenshots: [] }), closed);
    const switched = run(live(), { type: "preview_loading", session_id: "s1" }, { type: "preview_loading", session_id: "s2" });
    const after = run(switched, { type: "preview_failed", session_id: "s1", message: "late" });
    assert.equal(after.preview?.session_id, "s2");
    assert.equal(after.preview?.status, "loading");
  });

  test("a failure is kept with its message", () => {
    const state = run(live(), { type: "preview_loading", session_id: "s1" }, { type: "preview_failed", session_id: "s1", message: "404" });
    assert.equal(state.preview?.status, "failed");
    assert.equal(state.preview?.error, "404");
  });
});

describe("history", () => {
  test("loading, loaded (shared 0/1 from the store becomes a boolean), failed", () => {
    const loading = run(initialState(), { type: "history_loading" });
    assert.equal(loading.history.status, "loading");
    const raw = /** @type {SessionSummary} */ (/** @type {unknown} */ ({ ...summary(), shared: 1 }));
    const loaded = run(loading, { type: "history_loaded", sessions: [raw] });
    assert.equal(loaded.history.status, "ready");
    assert.equal(loaded.history.sessions[0].shared, true);
    const failed = run(loaded, { type: "history_failed", message: "401" });
    assert.equal(failed.history.status, "failed");
    assert.equal(failed.history.error, "401");
    assert.equal(failed.history.sessions.length, 1, "a failed refresh keeps the last list");
  });

  test("reopening shows a past session read-only; closing returns to the list", () => {
    const state = run(
      live(),
      { type: "reopened", session: session({ id: "old", status: "stopped" }), steps: [step(1), step(0)] },
    );
    assert.equal(state.history.reopened?.session.id, "old");
    assert.deepEqual(state.history.reopened?.steps.map((s) => s.index), [0, 1]);
    assert.equal(state.session?.id, "s1", "the live session is untouched");
    assert.equal(run(state, { type: "reopen_closed" }).history.reopened, null);
  });

  test("delete asks first, can be cancelled, and removes the row", () => {
    const listed = run(initialState(), { type: "history_loaded", sessions: [summary({ id: "a" }), summary({ id: "b" })] });
    const asking = run(listed, { type: "delete_requested", session_id: "a" });
    assert.equal(asking.history.confirming_delete, "a");
    assert.equal(run(asking, { type: "delete_cancelled" }).history.confirming_delete, null);
    const deleted = run(asking, { type: "session_deleted", session_id: "a" });
    assert.deepEqual(deleted.history.sessions.map((row) => row.id), ["b"]);
    assert.equal(deleted.history.confirming_delete, null);
  });

  test("deleting the reopened session closes it and its preview", () => {
    const state = run(
      initialState(),
      { type: "history_loaded", sessions: [summary({ id: "a" })] },
      { type: "reopened", session: session({ id: "a", status: "stopped" }), steps: [] },
      { type: "preview_loading", session_id: "a" },
      { type: "session_deleted", session_id: "a" },
    );
    assert.equal(state.history.reopened, null);
    assert.equal(state.preview, null);
  });

  test("deleting the ended live session clears the live view", () => {
    const state = run(live({ status: "stopped" }, [step(0)]), { type: "session_deleted", session_id: "s1" });
    assert.equal(state.session, null);
    assert.deepEqual(state.steps, []);
    assert.equal(run(live({ status: "stopped" }), { type: "session_deleted", session_id: "other" }).session?.id, "s1");
  });

  test("show_tab switches views", () => {
    assert.equal(run(initialState(), { type: "show_tab", tab: "history" }).tab, "history");
  });
});

test("an unknown message returns the same state", () => {
  const state = initialState();
  assert.equal(reduce(state, /** @type {Message} */ (/** @type {unknown} */ ({ type: "welcome" }))), state);
});

describe("statuses", () => {
  test("active statuses", () => {
    const active = ["running", "paused", "taken_over", "awaiting_approval"];
    for (const status of active) assert.equal(isActive(status), true, status);
    for (const status of ["awaiting_user", "stopped", "error", "cancelled", "interrupted"]) assert.equal(isActive(status), false, status);
  });

  test("labels and tones, and an unknown status shown as is", () => {
    assert.deepEqual(describeStatus("awaiting_user"), { label: "Done", tone: "ok" });
    assert.deepEqual(describeStatus("error"), { label: "Error", tone: "bad" });
    assert.deepEqual(describeStatus("archived"), { label: "archived", tone: "muted" });
  });

  test("outcome card: the answer, or the reason, per ending", () => {
    assert.deepEqual(describeOutcome(session({ status: "awaiting_user", final_answer: " 42 " })), { title: "Answer", text: "42", tone: "ok" });
    assert.equal(describeOutcome(session({ status: "awaiting_user" }))?.text, "Fara finished without a written answer.");
    assert.equal(describeOutcome(session({ status: "error", reason: "Model unreachable" }))?.text, "Model unreachable");
    assert.equal(describeOutcome(session({ status: "stopped" }))?.title, "Stopped");
    assert.equal(describeOutcome(session({ status: "cancelled" }))?.tone, "muted");
    assert.equal(describeOutcome(session({ status: "interrupted" }))?.tone, "attention");
    assert.equal(describeOutcome(session({ status: "running" })), null);
  });

  test("progress line while the agent owns the session", () => {
    assert.equal(progressLine(session()), "Working on the next step…");
    assert.equal(progressLine(session({ status: "paused", reason: "The agent's tab is hidden" })), "Paused: The agent's tab is hidden");
    assert.equal(progressLine(session({ status: "paused" })), "Paused. Fara waits until you resume.");
    assert.equal(progressLine(session({ status: "awaiting_user" })), null);
  });

  test("task hint explains why Start is unavailable", () => {
    assert.match(taskHint(live(), "Ctrl"), /working/);
    assert.match(taskHint(run(initialState(), { type: "connection", connection: { state: "unpaired", port: 1 } }), "Ctrl"), /Pair/);
    assert.equal(taskHint(initialState(), "Ctrl"), "Waiting for Farol…");
    assert.match(taskHint(live({ status: "stopped" }), "⌘"), /^⌘\+Enter/);
  });
});

describe("formatting", () => {
  test("short URLs drop the scheme, www and a lone slash", () => {
    assert.equal(shortUrl("https://www.example.com/"), "example.com");
    assert.equal(shortUrl("http://example.com/a/b?c=1"), "example.com/a/b?c=1");
    assert.equal(shortUrl("https://example.com/a/"), "example.com/a/");
    assert.equal(shortUrl("about:blank"), "about:blank");
  });

  test("history dates: time today, day and month this year, full date before", () => {
    const now = new Date(2026, 10, 21, 20, 0);
    assert.equal(formatWhen(new Date(2026, 10, 21, 9, 5).toISOString(), now, "en-GB"), "09:05");
    assert.equal(formatWhen(new Date(2026, 2, 3, 9, 5).toISOString(), now, "en-GB"), "3 Mar");
    assert.equal(formatWhen(new Date(2025, 2, 3, 9, 5).toISOString(), now, "en-GB"), "3 Mar 2025");
    assert.equal(formatWhen("not a date", now, "en-GB"), "not a date");
  });

  test("start URLs: empty means the active tab; a bare host gets https", () => {
    assert.equal(normalizeStartUrl("   "), undefined);
    assert.equal(normalizeStartUrl(" example.com/path "), "https://example.com/path");
    assert.equal(normalizeStartUrl("http://localhost:3000"), "http://localhost:3000");
  });

  test("bridge URLs resolve under the base and never leave it", () => {
    const base = "http://127.0.0.1:8765";
    assert.equal(bridgeUrl("/api/sessions", base), "http://127.0.0.1:8765/api/sessions");
    assert.equal(bridgeUrl("http://127.0.0.1:8765/shots/a.jpg", base), "http://127.0.0.1:8765/shots/a.jpg");
    assert.throws(() => bridgeUrl("https://evil.example/steal", base), /Not a Farol bridge URL/);
    assert.throws(() => bridgeUrl("http://127.0.0.1:9999/api", base), /Not a Farol bridge URL/);
    assert.throws(() => bridgeUrl("//evil.example/x", base), /Not a Farol bridge URL/);
  });

  test("upload lines name the collector and say what happened, in words", () => {
    const collector = "https://c.example";
    assert.equal(uploadLine(null), "");
    assert.equal(uploadLine({ state: "uploaded", collector }), "Uploaded to https://c.example");
    assert.equal(
      uploadLine({ state: "retrying", collector, error: "the collector is busy." }),
      "Not uploaded yet to https://c.example (the collector is busy); Farol keeps trying",
    );
    assert.equal(uploadLine({ state: "refused", collector, error: "not masked" }), "https://c.example refused it (not masked)");
    assert.equal(uploadLine({ state: "withdrawn", collector }), "Removed from https://c.example");
  });

  test("the share switch says where the session goes", () => {
    /** @type {import("../panel_state.js").Settings} */
    const withCollector = { v: PROTOCOL_VERSION, type: "settings", model: "m", collector: "https://c.example" };
    assert.equal(consentLine(withCollector, true), "Sent to https://c.example when the session ends.");
    assert.equal(consentLine(withCollector, false), "Turn on to send it to https://c.example.");
    assert.match(consentLine({ v: PROTOCOL_VERSION, type: "settings", model: "m", collector: null }, false), /^Kept on this computer: no collector is set/);
    assert.match(consentLine(null, true), /kept on this computer/);
    assert.match(consentLine({ ...withCollector, collector_refused: "key revoked" }, true), /refused this computer's key: key revoked/);
  });

  test("the timeline puts the person's turns before the step that follows them", () => {
    /** @type {import("../panel_state.js").PersonTurn[]} */
    const turns = [
      { before_step: 0, kind: "task", text: "Buy", at: "2026-01-01T10:00:00" },
      { before_step: 2, kind: "approve", text: "You approved", at: "2026-01-01T10:01:00" },
      { before_step: 5, kind: "message", text: "Thanks", at: "2026-01-01T10:02:00" },
    ];
    const order = timelineEntries([step(0), step(1), step(2)], turns).map((entry) => entry.key);
    assert.deepEqual(order, [
      "turn-2026-01-01T10:00:00-task",
      "step-0",
      "step-1",
      "turn-2026-01-01T10:01:00-approve",
      "step-2",
      "turn-2026-01-01T10:02:00-message",
    ]);
  });

  test("counts and step numbers", () => {
    assert.equal(countOf(1, "step"), "1 step");
    assert.equal(countOf(0, "step"), "0 steps");
    assert.equal(stepNumber(step(0)), 1);
  });
});

describe("announcements for screen readers", () => {
  test("new steps, politely", () => {
    const before = live({}, [step(0)]);
    const after = run(before, { v: PROTOCOL_VERSION, type: "step", session_id: "s1", step: step(1, { error: "Tab closed" }) });
    assert.deepEqual(announcements(before, after), [{ text: "Step 2: Click the button “B1”. Failed: Tab closed", urgent: false }]);
  });

  test("a new approval card, urgently", () => {
    const before = live({ status: "awaiting_approval" });
    const after = run(before, approval({ kind: "guard", reason: "A password field" }));
    assert.deepEqual(announcements(before, after), [{ text: "Approve this step? A password field", urgent: true }]);
  });

  test("a status change and a new task", () => {
    const before = live();
    const done = run(before, { v: PROTOCOL_VERSION, type: "session", session: session({ status: "awaiting_user" }) });
    assert.deepEqual(announcements(before, done), [{ text: "Status: Done", urgent: false }]);
    const next = run(done, { v: PROTOCOL_VERSION, type: "session", session: session({ id: "s2", task: "Next thing" }) });
    assert.deepEqual(announcements(done, next), [{ text: "New task: Next thing", urgent: false }]);
  });

  test("errors, urgently; nothing for unrelated changes", () => {
    const before = live();
    assert.deepEqual(announcements(before, run(before, { type: "error", message: "Lost" })), [{ text: "Lost", urgent: true }]);
    assert.deepEqual(announcements(before, run(before, { type: "show_tab", tab: "history" })), []);
  });
});
