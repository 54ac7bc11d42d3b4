// The side panel: renders panel_state.js's state and turns clicks into messages for the service
// worker (a Port named "panel") or requests to the bridge's REST API (history, sharing).

import {
  DEFAULT_PORT,
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
} from "./panel_state.js";

/**
 * @typedef {import("./panel_state.js").PanelState} PanelState
 * @typedef {import("./panel_state.js").Message} Message
 * @typedef {import("./panel_state.js").SessionView} SessionView
 * @typedef {import("./panel_state.js").StepView} StepView
 * @typedef {import("./panel_state.js").ApprovalRequest} ApprovalRequest
 * @typedef {import("./panel_state.js").PreviewState} PreviewState
 * @typedef {import("./panel_state.js").SessionSummary} SessionSummary
 * @typedef {import("./panel_state.js").Tab} Tab
 * @typedef {import("./panel_state.js").PersonTurn} PersonTurn
 * @typedef {"pause"|"resume"|"stop"|"take_over"|"hand_back"|"retry"} ControlCommand
 *
 * What the panel sends the service worker over the "panel" Port.
 * @typedef {{type: "get_state"}
 *   | {type: "pair", token: string, port: number}
 *   | {type: "start_task", task: string, start_url?: string}
 *   | {type: "follow_up", session_id: string, text: string}
 *   | {type: "control", session_id: string, command: ControlCommand}
 *   | {type: "approval", session_id: string, request_id: string, decision: "approve"|"deny"|"reply", text?: string}
 *   | {type: "consent", session_id: string, shared: boolean}} PanelRequest
 */

const SHORTCUT = /Mac|iPhone|iPad/.test(navigator.userAgent) ? "⌘" : "Ctrl";
const RECONNECT_FIRST_MS = 200;
const RECONNECT_MAX_MS = 5000;
const NEAR_BOTTOM_PX = 48;

// -- DOM helpers --------------------------------------------------------------------------------

/**
 * @template {Element} T
 * @param {ParentNode} root
 * @param {string} selector
 * @param {{new (): T, prototype: T}} type
 * @returns {T}
 */
function part(root, selector, type) {
  const element = root.querySelector(selector);
  if (!(element instanceof type)) throw new Error(`panel.html lacks ${selector}`);
  return element;
}

/**
 * @template {Element} T
 * @param {string} id
 * @param {{new (): T, prototype: T}} type
 * @returns {T}
 */
function byId(id, type) {
  return part(document, `#${id}`, type);
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function cloneTemplate(id) {
  const element = byId(id, HTMLTemplateElement).content.firstElementChild?.cloneNode(true);
  if (!(element instanceof HTMLElement)) throw new Error(`template #${id} is empty`);
  return element;
}

/**
 * @param {HTMLElement} element
 * @param {string} text
 */
function setText(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

/**
 * @param {HTMLElement} badge
 * @param {string} status
 */
function setStatusBadge(badge, status) {
  const { label, tone } = describeStatus(status);
  badge.textContent = label;
  badge.dataset.tone = tone;
}

/** Text fields keep focus: a new card must not pull someone out of what they are typing. */
function isTyping() {
  const active = document.activeElement;
  return active instanceof HTMLTextAreaElement || (active instanceof HTMLInputElement && active.type !== "checkbox");
}

/**
 * Ctrl/Cmd+Enter submits the textarea's form; plain Enter keeps making new lines.
 * @param {HTMLTextAreaElement} textarea
 */
function submitOnModEnter(textarea) {
  textarea.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    textarea.form?.requestSubmit();
  });
}

/**
 * @param {unknown} error
 */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

// -- state --------------------------------------------------------------------------------------

/** @type {PanelState} */
let state = initialState();

/**
 * @param {Message} message
 */
function dispatch(message) {
  const before = state;
  state = reduce(state, message);
  if (state === before) return;
  releaseObjectUrls(before, state);
  render(before);
  announce(announcements(before, state));
}

/**
 * Preview screenshots are object URLs; free those the new state no longer shows.
 * @param {PanelState} before
 * @param {PanelState} after
 */
function releaseObjectUrls(before, after) {
  const kept = new Set(after.preview?.screenshots ?? []);
  for (const url of before.preview?.screenshots ?? []) if (!kept.has(url)) URL.revokeObjectURL(url);
}

// -- the service worker -------------------------------------------------------------------------

/** @type {chrome.runtime.Port|null} */
let worker = null;
let reconnectDelay = RECONNECT_FIRST_MS;

/** The worker can be stopped by Chrome at any time: reconnect with backoff, then ask for the state. */
function connectToWorker() {
  try {
    worker = chrome.runtime.connect({ name: "panel" });
  } catch {
    dispatch({ type: "error", message: "Farol was updated or reloaded. Close this panel and open it again." });
    return;
  }
  worker.onMessage.addListener((/** @type {Message} */ message) => {
    reconnectDelay = RECONNECT_FIRST_MS;
    dispatch(message);
  });
  worker.onDisconnect.addListener(() => {
    void chrome.runtime.lastError; // read, so Chrome does not log it as unchecked
    worker = null;
    dispatch({ type: "port_lost" });
    setTimeout(connectToWorker, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
  });
  send({ type: "get_state" });
}

/**
 * @param {PanelRequest} message
 * @returns {boolean} whether it was sent
 */
function send(message) {
  try {
    if (!worker) throw new Error("no port");
    worker.postMessage(message);
    return true;
  } catch {
    dispatch({ type: "error", message: "Not connected to the extension yet. Try again in a moment." });
    return false;
  }
}

/**
 * @param {string} sessionId
 * @param {ControlCommand} command
 */
function control(sessionId, command) {
  send({ type: "control", session_id: sessionId, command });
}

// -- the bridge's REST API ----------------------------------------------------------------------

/**
 * @param {string} path a path under the bridge, or a full URL it returned
 * @param {{method?: string, json?: unknown}} [options]
 */
async function api(path, options = {}) {
  const { token, port } = await chrome.storage.local.get(["token", "port"]);
  if (typeof token !== "string" || !token) throw new Error("Pair with Farol first.");
  const base = `http://127.0.0.1:${Number(port) || DEFAULT_PORT}`;
  /** @type {Record<string, string>} */
  const headers = { Authorization: `Bearer ${token}` };
  if (options.json !== undefined) headers["Content-Type"] = "application/json";
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  let response;
  try {
    response = await fetch(bridgeUrl(path, base), { method: options.method ?? "GET", headers, body });
  } catch {
    throw new Error(`Could not reach Farol at ${base}. Is \`farol serve\` running?`);
  }
  if (!response.ok) throw new Error(await failureText(response));
  return response;
}

/**
 * @param {Response} response
 */
async function failureText(response) {
  const body = await response.json().catch(() => null);
  if (body && typeof body.detail === "string") return body.detail;
  return `Farol answered ${response.status} ${response.statusText}`.trim();
}

/**
 * @param {string} id
 */
function sessionPath(id) {
  return `/api/sessions/${encodeURIComponent(id)}`;
}

async function loadHistory() {
  dispatch({ type: "history_loading" });
  try {
    const { sessions } = await (await api("/api/sessions?source=extension")).json();
    dispatch({ type: "history_loaded", sessions });
  } catch (error) {
    dispatch({ type: "history_failed", message: messageOf(error) });
  }
}

/**
 * @param {string} id
 */
async function reopen(id) {
  try {
    const { session, steps } = await (await api(sessionPath(id))).json();
    dispatch({ type: "reopened", session, steps });
    reopenedView.focusTitle();
  } catch (error) {
    dispatch({ type: "error", message: messageOf(error) });
  }
}

/**
 * Consent for a past session goes straight to the bridge (the worker only knows the live one).
 * @param {string} id
 * @param {boolean} shared
 */
async function setSharedByRest(id, shared) {
  dispatch({ type: "consent_set", session_id: id, shared });
  try {
    const session = await (await api(`${sessionPath(id)}/consent`, { method: "POST", json: { shared } })).json();
    dispatch({ type: "consent_set", session_id: id, shared: Boolean(session.shared) });
  } catch (error) {
    dispatch({ type: "consent_set", session_id: id, shared: !shared });
    dispatch({ type: "error", message: `Could not change sharing: ${messageOf(error)}` });
  }
}

/**
 * @param {string} id
 */
async function deleteSession(id) {
  try {
    await api(sessionPath(id), { method: "DELETE" });
    dispatch({ type: "session_deleted", session_id: id });
    historyHeading.focus();
  } catch (error) {
    dispatch({ type: "error", message: `Could not delete: ${messageOf(error)}` });
  }
}

/**
 * Loads exactly what sharing would send: the record and its screenshots (fetched with the token).
 * @param {string} id
 */
async function loadPreview(id) {
  dispatch({ type: "preview_loading", session_id: id });
  try {
    /** @type {{trajectory: unknown, screenshots: string[]}} */
    const preview = await (await api(`${sessionPath(id)}/share-preview`)).json();
    const screenshots = await Promise.all(preview.screenshots.map(fetchImage));
    dispatch({ type: "preview_loaded", session_id: id, trajectory: preview.trajectory, screenshots });
    if (state.preview?.screenshots !== screenshots) screenshots.forEach((url) => URL.revokeObjectURL(url));
  } catch (error) {
    dispatch({ type: "preview_failed", session_id: id, message: messageOf(error) });
  }
}

/**
 * @param {string} url
 */
async function fetchImage(url) {
  return URL.createObjectURL(await (await api(url)).blob());
}

// -- one session: head, timeline, approval card, outcome, follow-up, consent --------------------

/**
 * @typedef {{update: (session: SessionView|null, steps: StepView[], approval: ApprovalRequest|null,
 *   preview: PreviewState|null) => void, focusTitle: () => void, approvalCard: HTMLElement}} SessionViewHandle
 */

/**
 * Live and reopened sessions share this view; a reopened one is read-only (no card, no follow-up).
 * @param {HTMLElement} root
 * @param {{live: boolean, setShared: (id: string, shared: boolean) => void}} options
 * @returns {SessionViewHandle}
 */
function createSessionView(root, options) {
  const article = cloneTemplate("session-template");
  root.append(article);
  const title = part(article, ".session-task", HTMLHeadingElement);
  const badge = part(article, ".status-badge", HTMLElement);
  const stepCount = part(article, ".session-steps", HTMLElement);
  const timeline = createTimeline(part(article, ".timeline", HTMLOListElement));
  const progress = part(article, ".progress", HTMLElement);
  // After an answer the panel keeps following the newest step; focus goes to the controls, not to the top.
  const approval = createApprovalCard(part(article, ".approval", HTMLElement), afterApproval);
  const outcome = createOutcome(part(article, ".outcome", HTMLElement), options.live);
  const consent = createConsent(part(article, ".consent", HTMLElement), options.setShared);

  return {
    update(session, steps, approvalRequest, preview) {
      article.hidden = !session;
      if (!session) return;
      title.textContent = session.task;
      setStatusBadge(badge, session.status);
      stepCount.textContent = countOf(Math.max(session.steps, steps.length), "step");
      timeline(steps, session.turns ?? []);
      progress.dataset.status = session.status;
      setText(progress, options.live ? progressLine(session) ?? "" : "");
      approval.update(approvalRequest);
      outcome(session);
      consent.update(session, preview);
    },
    focusTitle: () => title.focus(),
    approvalCard: approval.card,
  };
}

/**
 * The card under a finished session: the answer or why it ended; after an error, a Retry that tries again.
 * @param {HTMLElement} card
 * @param {boolean} live
 * @returns {(session: SessionView) => void}
 */
function createOutcome(card, live) {
  const retry = part(card, ".outcome-retry", HTMLButtonElement);
  /** @type {SessionView|null} */
  let shown = null;
  retry.addEventListener("click", () => shown && control(shown.id, "retry"));
  return (session) => {
    shown = session;
    const outcome = describeOutcome(session);
    card.hidden = !outcome;
    if (!outcome) return;
    card.dataset.tone = outcome.tone;
    part(card, ".outcome-title", HTMLElement).textContent = outcome.title;
    part(card, ".outcome-text", HTMLElement).textContent = outcome.text;
    retry.hidden = !(live && session.status === "error");
  };
}

/**
 * A keyed list of the person's turns and the agent's steps: an entry is rebuilt only when the reducer gave it
 * a new object.
 * @param {HTMLOListElement} list
 * @returns {(steps: StepView[], turns: PersonTurn[]) => void}
 */
function createTimeline(list) {
  /** @type {Map<string, {value: StepView|PersonTurn, item: HTMLElement}>} */
  const shown = new Map();
  return (steps, turns) => {
    const entries = timelineEntries(steps, turns);
    const wanted = new Set(entries.map((entry) => entry.key));
    for (const [key, { item }] of shown) {
      if (!wanted.has(key)) {
        item.remove();
        shown.delete(key);
      }
    }
    /** @type {HTMLElement|null} */
    let previous = null;
    for (const wantedEntry of entries) {
      const value = wantedEntry.kind === "step" ? wantedEntry.step : wantedEntry.turn;
      let entry = shown.get(wantedEntry.key);
      if (entry?.value !== value) {
        const item = wantedEntry.kind === "step" ? stepItem(wantedEntry.step) : turnItem(wantedEntry.turn);
        entry?.item.replaceWith(item);
        entry = { value, item };
        shown.set(wantedEntry.key, entry);
      }
      if (entry.item.previousElementSibling !== previous || !entry.item.isConnected) {
        if (previous) previous.after(entry.item);
        else list.prepend(entry.item);
      }
      previous = entry.item;
    }
  };
}

/**
 * @param {StepView} step
 */
function stepItem(step) {
  const item = cloneTemplate("step-template");
  const number = stepNumber(step);
  part(item, ".step-number", HTMLElement).textContent = String(number);
  part(item, ".step-label", HTMLElement).textContent = `Step ${number}${step.not_run ? " (not run)" : ""}: `;
  part(item, ".verb", HTMLElement).textContent = step.verb;
  part(item, ".detail", HTMLElement).textContent = step.detail;
  item.classList.toggle("not-run", Boolean(step.not_run));
  setText(part(item, ".step-thoughts", HTMLElement), step.thoughts);
  const url = part(item, ".step-url", HTMLElement);
  setText(url, shortUrl(step.url));
  url.title = step.url;
  setText(part(item, ".step-error", HTMLElement), step.error ?? "");
  item.classList.toggle("failed", Boolean(step.error) && !step.not_run);
  setUpThumbnail(item, step, number);
  return item;
}

/** @type {Record<PersonTurn["kind"], string>} */
const TURN_LABELS = { task: "Your task", message: "You", approve: "", deny: "", reply: "" };

/**
 * One of the person's turns: what they asked or decided, and when.
 * @param {PersonTurn} turn
 */
function turnItem(turn) {
  const item = cloneTemplate("turn-template");
  item.dataset.kind = turn.kind;
  const label = TURN_LABELS[turn.kind];
  part(item, ".turn-text", HTMLElement).textContent = label ? `${label}: ${turn.text}` : turn.text;
  const when = new Date(turn.at);
  part(item, ".turn-when", HTMLElement).textContent = Number.isNaN(when.getTime())
    ? ""
    : when.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return item;
}

/**
 * The thumbnail enlarges in place on click, so the timeline never loses its position.
 * @param {HTMLElement} item
 * @param {StepView} step
 * @param {number} number
 */
function setUpThumbnail(item, step, number) {
  const button = part(item, ".thumb", HTMLButtonElement);
  if (!step.thumbnail) {
    button.remove();
    return;
  }
  const image = part(button, "img", HTMLImageElement);
  image.src = step.thumbnail;
  image.alt = `The page Fara saw at step ${number}`;
  button.setAttribute("aria-label", `Enlarge the screenshot of step ${number}`);
  button.addEventListener("click", () => {
    const expanded = item.classList.toggle("expanded");
    button.setAttribute("aria-expanded", String(expanded));
    button.setAttribute("aria-label", `${expanded ? "Shrink" : "Enlarge"} the screenshot of step ${number}`);
  });
}

/**
 * The approval card: what will happen (the target marked on the screenshot), and Deny / Approve / Reply.
 * Focus starts on the card itself; Enter never approves from there, and Esc says it does not answer.
 * @param {HTMLElement} card
 * @param {() => void} afterAnswer what happens once the card is answered
 */
function createApprovalCard(card, afterAnswer) {
  const title = part(card, ".approval-title", HTMLElement);
  const consequence = part(card, ".approval-consequence", HTMLElement);
  const where = part(card, ".approval-where", HTMLElement);
  const thoughts = part(card, ".approval-thoughts", HTMLElement);
  const screenshot = part(card, ".approval-shot", HTMLImageElement);
  const marker = part(card, ".approval-marker", HTMLElement);
  const keys = part(card, ".approval-keys", HTMLElement);
  const replyForm = part(card, ".approval-reply", HTMLFormElement);
  const replyInput = part(card, ".approval-reply-input", HTMLInputElement);
  /** @type {ApprovalRequest|null} */
  let shown = null;

  /**
   * @param {"approve"|"deny"|"reply"} decision
   * @param {string} [text]
   */
  function answer(decision, text) {
    if (!shown) return;
    const { session_id, request_id } = shown;
    if (!send({ type: "approval", session_id, request_id, decision, ...(text ? { text } : {}) })) return;
    dispatch({ type: "approval_answered", request_id });
    afterAnswer();
  }

  part(card, ".approve", HTMLButtonElement).addEventListener("click", () => answer("approve"));
  part(card, ".deny", HTMLButtonElement).addEventListener("click", () => answer("deny"));
  replyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = replyInput.value.trim();
    if (text) answer("reply", text);
  });
  card.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      keys.hidden = false; // a binding decision is never made by a stray key: say so instead
    }
  });

  return {
    card,
    /** @param {ApprovalRequest|null} request */
    update(request) {
      card.hidden = !request;
      if (!request || request.request_id === shown?.request_id) {
        shown = request;
        return;
      }
      shown = request;
      card.dataset.kind = request.kind;
      title.textContent = approvalTitle(request.kind);
      card.setAttribute("aria-label", title.textContent);
      setText(consequence, request.consequence || request.reason);
      setText(where, [request.target ? `Target: ${request.target}` : "", request.site ? `Site: ${request.site}` : ""].filter(Boolean).join(" · "));
      setText(thoughts, request.thoughts);
      screenshot.hidden = !request.screenshot;
      screenshot.src = request.screenshot ?? "";
      marker.hidden = !request.point;
      if (request.point) {
        marker.style.left = `${request.point[0]}%`;
        marker.style.top = `${request.point[1]}%`;
      }
      keys.hidden = true;
      replyInput.value = "";
    },
  };
}

/**
 * The end-of-session sharing switch and its preview.
 * @param {HTMLElement} block
 * @param {(id: string, shared: boolean) => void} setShared
 */
function createConsent(block, setShared) {
  const toggle = part(block, ".share-switch", HTMLInputElement);
  const previewButton = part(block, ".preview-button", HTMLButtonElement);
  const area = part(block, ".preview", HTMLElement);
  const status = part(block, ".preview-status", HTMLElement);
  const whereTo = part(block, ".consent-where", HTMLElement);
  const summary = part(block, ".preview-summary", HTMLElement);
  const details = part(block, ".preview-details", HTMLElement);
  const json = part(block, ".preview-json", HTMLElement);
  const shots = part(block, ".preview-shots", HTMLElement);
  /** @type {SessionView|null} */
  let session = null;
  /** @type {PreviewState|null} */
  let shownPreview = null;

  // The person is acting here: the panel holds still (no following) while the block below the switch changes.
  toggle.addEventListener("change", () => {
    holdStill();
    if (session) setShared(session.id, toggle.checked);
  });
  previewButton.addEventListener("click", () => {
    holdStill();
    if (session) loadPreview(session.id);
  });
  part(block, ".preview-close", HTMLButtonElement).addEventListener("click", () => {
    dispatch({ type: "preview_closed" });
    previewButton.focus();
  });

  /** @param {PreviewState} preview */
  function renderPreview(preview) {
    details.hidden = preview.status !== "ready";
    json.textContent = preview.status === "ready" ? JSON.stringify(preview.trajectory, null, 2) : "";
    summary.replaceChildren(
      ...previewFacts(preview).map((fact) => {
        const item = document.createElement("li");
        item.textContent = fact;
        return item;
      }),
    );
    shots.replaceChildren(...preview.screenshots.map((url, i) => previewImage(url, i)));
  }

  return {
    /**
     * @param {SessionView} current
     * @param {PreviewState|null} preview
     */
    update(current, preview) {
      session = current;
      block.hidden = isActive(current.status);
      toggle.checked = current.shared;
      whereTo.textContent = consentLine(state.settings, current.shared);
      const mine = preview?.session_id === current.id ? preview : null;
      area.hidden = !mine;
      previewButton.disabled = mine?.status === "loading";
      if (!mine) return;
      status.textContent = previewStatus(mine, current.shared);
      if (mine !== shownPreview) renderPreview(mine);
      shownPreview = mine;
    },
  };
}

/**
 * @param {PreviewState} preview
 * @param {boolean} shared
 */
function previewStatus(preview, shared) {
  if (preview.status === "loading") return "Loading the preview…";
  if (preview.status === "failed") return `Could not load the preview: ${preview.error}`;
  const what = `This record and ${countOf(preview.screenshots.length, "screenshot")}`;
  return shared ? `${what} are shared.` : `${what} would be shared. Nothing is shared until you turn sharing on.`;
}

/**
 * The preview in a few lines a person reads: what is in the record, and what was kept out of it.
 * @param {PreviewState} preview
 * @returns {string[]}
 */
function previewFacts(preview) {
  if (preview.status !== "ready") return [];
  const record = /** @type {{task?: string, steps?: {action?: {text?: string}|null, screenshot_withheld?: string|null}[], approvals?: unknown[]}} */ (preview.trajectory ?? {});
  const steps = record.steps ?? [];
  const masked = steps.filter((step) => step.action?.text === "********").length;
  const withheld = steps.filter((step) => step.screenshot_withheld).length;
  return [
    `The task: “${record.task ?? ""}”`,
    `${countOf(steps.length, "step")}, with Fara's thoughts and actions`,
    `${countOf(preview.screenshots.length, "screenshot")}, password and payment fields painted over`,
    masked ? `${countOf(masked, "typed secret")} replaced by ******** everywhere in the record` : "No typed secrets",
    ...(withheld ? [`${countOf(withheld, "screenshot")} left out because the page changed while it was taken`] : []),
    `${countOf((record.approvals ?? []).length, "decision")} you made`,
  ];
}

/**
 * @param {string} url
 * @param {number} i
 */
function previewImage(url, i) {
  const image = document.createElement("img");
  image.src = url;
  image.alt = `Screenshot ${i + 1} that would be shared`;
  image.loading = "lazy";
  return image;
}

// -- the page -----------------------------------------------------------------------------------

const connection = byId("connection", HTMLElement);
const connectionText = byId("connection-text", HTMLElement);
const errorBanner = byId("error", HTMLElement);
const topStatus = byId("top-status", HTMLElement);
const liveTab = byId("tab-live", HTMLButtonElement);
const historyTab = byId("tab-history", HTMLButtonElement);
const settingsTab = byId("tab-settings", HTMLButtonElement);
const settingsPanel = byId("settings", HTMLElement);
const liveBadge = byId("live-badge", HTMLElement);
const livePanel = byId("live", HTMLElement);
const historyPanel = byId("history", HTMLElement);
const liveScroll = byId("live-scroll", HTMLElement);
const jumpLatest = byId("jump-latest", HTMLButtonElement);
const pairForm = byId("pair-form", HTMLFormElement);
const pairToken = byId("pair-token", HTMLInputElement);
const pairPort = byId("pair-port", HTMLInputElement);
const pairDetail = byId("pair-detail", HTMLElement);
const pairCancel = byId("pair-cancel", HTMLButtonElement);
const empty = byId("empty", HTMLElement);
const controls = byId("controls", HTMLElement);
const takenOverNote = byId("taken-over-note", HTMLElement);
const pauseResume = byId("pause-resume", HTMLButtonElement);
const takeOver = byId("take-over", HTMLButtonElement);
const stop = byId("stop", HTMLButtonElement);
const taskForm = byId("task-form", HTMLFormElement);
const taskInput = byId("task-input", HTMLTextAreaElement);
const startUrl = byId("start-url", HTMLInputElement);
const startButton = byId("start", HTMLButtonElement);
const taskHintLine = byId("task-hint", HTMLElement);
const taskLabel = byId("task-label", HTMLElement);
const composeSwitch = byId("compose-switch", HTMLButtonElement);
const TASK_EXAMPLE = taskInput.placeholder;
const historyHeading = byId("history-heading", HTMLElement);
const historyRefresh = byId("history-refresh", HTMLButtonElement);
const historyStatus = byId("history-status", HTMLElement);
const historyList = byId("history-list", HTMLUListElement);
const historyListView = byId("history-list-view", HTMLElement);
const reopenedSection = byId("reopened-view", HTMLElement);

const liveView = createSessionView(byId("live-session", HTMLElement), {
  live: true,
  setShared(id, shared) {
    if (send({ type: "consent", session_id: id, shared })) dispatch({ type: "consent_set", session_id: id, shared });
  },
});
const reopenedView = createSessionView(byId("reopened-session", HTMLElement), {
  live: false,
  setShared: setSharedByRest,
});

/**
 * @param {PanelState|null} before null on the first render
 */
function render(before) {
  renderConnection(before);
  renderTabs();
  renderSettings(before);
  setText(byId("error-text", HTMLElement), state.error ?? "");
  errorBanner.hidden = !state.error;
  liveView.update(state.session, state.steps, state.approval, state.preview);
  empty.hidden = Boolean(state.session) || needsPairing(state);
  renderDock(before);
  renderHistory(before);
  followNewContent(before);
}

/**
 * @param {PanelState|null} before
 */
function renderConnection(before) {
  const { tone, text } = connectionLine(state);
  connection.dataset.tone = tone;
  connectionText.textContent = text;
  connection.title = text;
  const pairing = needsPairing(state);
  if (pairing && !(before && needsPairing(before))) pairPort.value = String(state.connection?.port ?? DEFAULT_PORT);
  pairForm.hidden = !pairing;
  pairCancel.hidden = !state.pairing || state.connection?.state === "unpaired";
  const problem = state.connection?.state === "refused" || state.connection?.state === "unreachable";
  setText(pairDetail, problem ? text : "");
  // The session's status next to the connection, so it stays in view however the timeline scrolls.
  const session = state.session;
  topStatus.hidden = !(session && isActive(session.status));
  if (session) setStatusBadge(topStatus, session.status);
}

/** @type {[Tab, HTMLButtonElement, HTMLElement][]} */
const TABS = [
  ["live", liveTab, livePanel],
  ["history", historyTab, historyPanel],
  ["settings", settingsTab, settingsPanel],
];

function renderTabs() {
  for (const [name, tab, panel] of TABS) {
    const selected = state.tab === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    panel.hidden = !selected;
  }
  liveBadge.hidden = state.tab === "live" || !state.approval;
}

/**
 * @param {PanelState|null} before
 */
function renderDock(before) {
  const session = state.session;
  const active = session !== null && isActive(session.status);
  controls.hidden = !active;
  if (session && active) {
    const takenOver = session.status === "taken_over";
    const paused = session.status === "paused";
    pauseResume.textContent = paused ? "Resume" : "Pause";
    pauseResume.classList.toggle("primary", paused);
    pauseResume.disabled = takenOver;
    takeOver.textContent = takenOver ? "Hand back" : "Take over";
    takeOver.classList.toggle("primary", takenOver);
    takenOverNote.hidden = !takenOver;
  }
  taskInput.disabled = active;
  startUrl.disabled = active;
  // While the agent works the box shrinks to one disabled line that says why.
  taskForm.classList.toggle("busy", active);
  // Once a task has ended, the one box continues it ("New task" is one click away).
  const continuing = continuingSession();
  taskForm.classList.toggle("continuing", Boolean(continuing));
  startUrl.hidden = Boolean(continuing);
  taskInput.rows = continuing ? 2 : 3;
  composeSwitch.hidden = !session || active || !canFollowUp(session.status);
  composeSwitch.textContent = continuing ? "New task" : "Continue";
  composeSwitch.setAttribute("aria-label", continuing ? "Start a new task instead" : "Continue this task instead");
  taskLabel.textContent = continuing ? "Continue this task" : "Task";
  taskLabel.classList.toggle("visually-hidden", !continuing);
  const hint = continuing ? `${SHORTCUT}+Enter to send. Fara continues in the same tab.` : taskHint(state, SHORTCUT);
  taskInput.placeholder = active ? hint : continuing ? "Ask a follow-up or give more instructions" : TASK_EXAMPLE;
  setText(taskHintLine, active ? "" : hint);
  startButton.disabled = continuing ? state.submitting !== null : !canStartTask(state);
  startButton.textContent = state.submitting ? "Sending…" : continuing ? "Send" : "Start";
  const newSession = session && session.id !== before?.session?.id;
  if (newSession && session.task === taskInput.value.trim()) taskForm.reset();
}

/**
 * @param {PanelState|null} before
 */
function renderHistory(before) {
  const { history } = state;
  historyListView.hidden = Boolean(history.reopened);
  reopenedSection.hidden = !history.reopened;
  reopenedView.update(history.reopened?.session ?? null, history.reopened?.steps ?? [], null, state.preview);
  historyStatus.textContent = historyStatusText();
  historyRefresh.disabled = history.status === "loading";
  const rowsChanged =
    !before || before.history.sessions !== history.sessions || before.history.confirming_delete !== history.confirming_delete;
  if (rowsChanged || before.session !== state.session) {
    historyList.replaceChildren(...history.sessions.map((row) => historyRow(row, history.confirming_delete === row.id)));
  }
}

function historyStatusText() {
  const { status, sessions, error } = state.history;
  if (status === "loading" && sessions.length === 0) return "Loading…";
  if (status === "failed") return `Could not load your sessions: ${error}`;
  if (status === "ready" && sessions.length === 0) return "No sessions yet. Tasks you run appear here.";
  return "";
}

/**
 * @param {SessionSummary} row
 * @param {boolean} confirming
 */
function historyRow(row, confirming) {
  const item = cloneTemplate("history-row-template");
  item.dataset.id = row.id;
  const open = part(item, ".row-open", HTMLButtonElement);
  part(open, ".row-task", HTMLElement).textContent = row.task;
  open.addEventListener("click", () => reopen(row.id));
  setStatusBadge(part(item, ".status-badge", HTMLElement), row.status);
  const details = [countOf(row.steps, "step"), formatWhen(row.created_at, new Date()), ...(row.shared ? ["Shared"] : [])];
  part(item, ".row-details", HTMLElement).textContent = details.join(" · ");
  setText(part(item, ".row-upload", HTMLElement), uploadLine(row.upload));

  const unshare = part(item, ".row-unshare", HTMLButtonElement);
  unshare.hidden = !row.shared;
  unshare.addEventListener("click", () => setSharedByRest(row.id, false));
  const remove = part(item, ".row-delete", HTMLButtonElement);
  remove.hidden = state.session?.id === row.id && isActive(state.session.status); // running: stop it first
  remove.addEventListener("click", () => {
    dispatch({ type: "delete_requested", session_id: row.id });
    rowButton(row.id, ".row-confirm-cancel")?.focus();
  });

  part(item, ".row-actions", HTMLElement).hidden = confirming;
  part(item, ".row-confirm", HTMLElement).hidden = !confirming;
  part(item, ".row-confirm-delete", HTMLButtonElement).addEventListener("click", () => deleteSession(row.id));
  part(item, ".row-confirm-cancel", HTMLButtonElement).addEventListener("click", () => {
    dispatch({ type: "delete_cancelled" });
    rowButton(row.id, ".row-delete")?.focus();
  });
  return item;
}

/**
 * @param {string} id
 * @param {string} selector
 * @returns {HTMLButtonElement|null}
 */
function rowButton(id, selector) {
  const row = [...historyList.children].find((child) => child instanceof HTMLElement && child.dataset.id === id);
  const button = row?.querySelector(selector);
  return button instanceof HTMLButtonElement ? button : null;
}

// -- following the newest step -------------------------------------------------------------------

let followLatest = true;
let autoScrolledTo = 0; // where we last scrolled to: only a scroll above it is the person's

function isNearBottom() {
  return liveScroll.scrollHeight - liveScroll.scrollTop - liveScroll.clientHeight < NEAR_BOTTOM_PX;
}

function scrollToLatest() {
  liveScroll.scrollTop = liveScroll.scrollHeight;
  autoScrolledTo = liveScroll.scrollTop;
}

/** Stop following until the next new step: what the person is working on stays where it is. */
function holdStill() {
  followLatest = false;
  autoScrolledTo = Infinity;
}

/**
 * Offers a jump back down when steps arrive while the person reads older ones, and brings a new
 * approval card into view whatever the scroll position: it must not be missed.
 * @param {PanelState|null} before
 */
function followNewContent(before) {
  if (state.session?.id !== before?.session?.id) {
    followLatest = true;
    jumpLatest.hidden = true;
  } else if (!followLatest && state.steps.length > (before?.steps.length ?? 0)) {
    jumpLatest.hidden = false;
  }
  if (state.approval && state.approval.request_id !== before?.approval?.request_id && state.tab === "live") {
    if (isTyping()) liveView.approvalCard.scrollIntoView({ block: "nearest" });
    else liveView.approvalCard.focus();
  }
}

// A scroll event can arrive after more content was added, so "not near the bottom" alone does not
// mean the person scrolled up.
liveScroll.addEventListener("scroll", () => {
  followLatest = isNearBottom() || liveScroll.scrollTop >= autoScrolledTo;
  if (followLatest) jumpLatest.hidden = true;
});
// Content grows after a render too (images decode): keep the bottom in view while following.
new ResizeObserver(() => followLatest && scrollToLatest()).observe(byId("live-session", HTMLElement));
jumpLatest.addEventListener("click", () => {
  followLatest = true;
  jumpLatest.hidden = true;
  scrollToLatest();
});

// -- announcements ------------------------------------------------------------------------------

const politeRegion = byId("announce-polite", HTMLElement);
const urgentRegion = byId("announce-urgent", HTMLElement);

/**
 * @param {{text: string, urgent: boolean}[]} items
 */
function announce(items) {
  const urgent = items.filter((item) => item.urgent).map((item) => item.text);
  const polite = items.filter((item) => !item.urgent).map((item) => item.text);
  if (urgent.length) urgentRegion.textContent = urgent.join(". ");
  if (polite.length) politeRegion.textContent = polite.join(". ");
}

// -- wiring -------------------------------------------------------------------------------------

/**
 * @param {Tab} tab
 */
function showTab(tab) {
  dispatch({ type: "show_tab", tab });
  if (tab === "history") loadHistory();
}

// -- settings -----------------------------------------------------------------------------------

const settingsForm = byId("settings-form", HTMLFormElement);
const settingsModelUrl = byId("settings-model-url", HTMLInputElement);
const settingsModel = byId("settings-model", HTMLInputElement);
const settingsCollector = byId("settings-collector", HTMLInputElement);
const settingsCollectorKey = byId("settings-collector-key", HTMLInputElement);
const settingsIncludeEarlier = byId("settings-include-earlier", HTMLInputElement);
const settingsTestResult = byId("settings-test-result", HTMLElement);
const settingsResult = byId("settings-result", HTMLElement);
const settingsPairing = byId("settings-pairing", HTMLElement);

/**
 * The form shows what the bridge uses; a field the person is editing is left alone.
 * @param {PanelState|null} before
 */
function renderSettings(before) {
  const settings = state.settings;
  if (settings && settings !== before?.settings) {
    for (const [field, value] of /** @type {const} */ ([
      [settingsModelUrl, settings.model_url ?? ""],
      [settingsModel, settings.model],
      [settingsCollector, settings.collector ?? ""],
    ])) {
      if (document.activeElement !== field) field.value = value;
    }
    settingsModelUrl.disabled = settings.model_url === null || settings.model_url === undefined;
  }
  const connection = state.connection;
  settingsPairing.textContent = connection?.state === "connected"
    ? `Paired with Farol on port ${connection.port}.`
    : connectionLine(state).text;
}

/**
 * @param {HTMLElement} line
 * @param {string} text
 * @param {"ok"|"bad"} tone
 */
function say(line, text, tone) {
  line.textContent = text;
  line.dataset.tone = tone;
}

byId("settings-test", HTMLButtonElement).addEventListener("click", async () => {
  say(settingsTestResult, "Asking the endpoint…", "ok");
  try {
    const json = { model_url: settingsModelUrl.value.trim(), model: settingsModel.value.trim() };
    const answer = await (await api("/api/settings/test-model", { method: "POST", json })).json();
    say(settingsTestResult, answer.detail, answer.ok ? "ok" : "bad");
  } catch (error) {
    say(settingsTestResult, messageOf(error), "bad");
  }
});

settingsForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const json = {
    model_url: settingsModelUrl.disabled ? null : settingsModelUrl.value.trim(),
    model: settingsModel.value.trim(),
    collector: settingsCollector.value.trim() || null,
    ...(settingsCollectorKey.value.trim() ? { collector_key: settingsCollectorKey.value.trim() } : {}),
    include_earlier: settingsIncludeEarlier.checked,
  };
  try {
    const saved = await (await api("/api/settings", { method: "PUT", json })).json();
    dispatch(saved);
    settingsCollectorKey.value = "";
    settingsIncludeEarlier.checked = false;
    say(settingsResult, "Saved. The next task uses these settings.", "ok");
  } catch (error) {
    say(settingsResult, `Not saved: ${messageOf(error)}`, "bad");
  }
});

TABS.forEach(([name, tab], position) => {
  tab.addEventListener("click", () => showTab(name));
  tab.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const [nextName, next] = TABS[(position + (event.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length];
    showTab(nextName);
    next.focus();
  });
});

byId("error-dismiss", HTMLButtonElement).addEventListener("click", () => dispatch({ type: "error_dismissed" }));

pairCancel.addEventListener("click", () => dispatch({ type: "pairing_closed" }));
byId("change-pairing", HTMLButtonElement).addEventListener("click", () => {
  dispatch({ type: "pairing_opened" });
  showTab("live");
  pairToken.focus();
});

pairForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = pairToken.value.trim();
  const port = Number(pairPort.value) || DEFAULT_PORT;
  if (token && send({ type: "pair", token, port })) pairToken.value = "";
});

taskForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = taskInput.value.trim();
  const continuing = continuingSession();
  if (!text) return;
  if (continuing) {
    if (state.submitting || !send({ type: "follow_up", session_id: continuing.id, text })) return;
    dispatch({ type: "submitted", what: "follow_up" });
    taskInput.value = "";
    followLatest = true;
    scrollToLatest();
    return;
  }
  if (!canStartTask(state)) return;
  const start_url = normalizeStartUrl(startUrl.value);
  if (send({ type: "start_task", task: text, ...(start_url ? { start_url } : {}) })) dispatch({ type: "submitted", what: "task" });
});
submitOnModEnter(taskInput);
composeSwitch.addEventListener("click", () => {
  dispatch({ type: "compose", mode: continuingSession() ? "new" : "continue" });
  taskInput.focus();
});

/** The ended session the dock's box continues, or null when it starts a new task. */
function continuingSession() {
  const session = state.session;
  return session && state.compose === "continue" && canFollowUp(session.status) ? session : null;
}

/** After an answer: keep following the newest step, and put focus where the next decision is made. */
function afterApproval() {
  followLatest = true;
  scrollToLatest();
  (controls.hidden ? taskInput : pauseResume).focus({ preventScroll: true });
}

pauseResume.addEventListener("click", () => {
  if (state.session) control(state.session.id, state.session.status === "paused" ? "resume" : "pause");
});
takeOver.addEventListener("click", () => {
  if (state.session) control(state.session.id, state.session.status === "taken_over" ? "hand_back" : "take_over");
});
stop.addEventListener("click", () => state.session && control(state.session.id, "stop"));

historyRefresh.addEventListener("click", loadHistory);
byId("reopen-back", HTMLButtonElement).addEventListener("click", () => {
  const id = state.history.reopened?.session.id;
  dispatch({ type: "reopen_closed" });
  if (id) rowButton(id, ".row-open")?.focus();
});

render(null);
connectToWorker();
