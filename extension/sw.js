// Farol's service worker: the WebSocket client of the local bridge, the hands of the agent (through
// cdp.js) and the relay between the bridge and the side panel. Chrome may stop this worker at any
// time, so what the panel shows and which tab is the agent's live in chrome.storage.session.

import {DriverError, TabDriver, isActionableUrl} from './cdp.js';
import {reconnectDelay} from './backoff.js';
import {PROTOCOL_VERSION} from './protocol_types.js';

const HEARTBEAT_MS = 20_000; // WebSocket traffic keeps an MV3 worker alive (Chrome 116+)
const DEFAULT_PORT = 8765;
const KEPT_STEPS = 60; // timeline entries kept for a reopened panel (thumbnails are small JPEGs)
const IS_MAC = navigator.userAgent.includes('Mac OS X');

/**
 * @typedef {import("./panel_state.js").Connection} Connection
 * @typedef {import("./protocol_types.js").SessionView} SessionView
 * @typedef {import("./protocol_types.js").StepView} StepView
 * @typedef {import("./protocol_types.js").ApprovalRequestEvent} ApprovalRequestEvent
 * @typedef {import("./protocol_types.js").SettingsEvent} SettingsEvent
 * @typedef {{session: SessionView | null, steps: StepView[], approval: ApprovalRequestEvent | null,
 *   settings: SettingsEvent | null, agentTabId: number | null, groupId: number | null}} Remembered
 */

// The bridge's close codes for a refused pairing (bridge/pairing.py): say what to fix, and stop retrying.
const REFUSALS = /** @type {Record<number, string>} */ ({
  4401: 'Farol refused this token. Paste the token `farol serve` printed.',
  4421: 'Farol refused the connection: the extension must reach it at 127.0.0.1.',
  4400: 'Farol refused the connection: this extension is too old or too new for it.',
});

/** @type {WebSocket | null} */
let socket = null;
/** @type {Connection} */
let connection = {state: 'connecting', port: DEFAULT_PORT};
let attempt = 0;
/** @type {string | null} the token the bridge refused: not offered again until the person pairs */
let refusedToken = null;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let reconnectTimer;
/** @type {ReturnType<typeof setInterval> | undefined} */
let heartbeat;
/** @type {Remembered} */
let memory = {session: null, steps: [], approval: null, settings: null, agentTabId: null, groupId: null};
/** @type {Map<number, TabDriver>} */
const drivers = new Map();
/** @type {Set<chrome.runtime.Port>} */
const panels = new Set();
/**
 * What the tab group and the badge show now. Each session event (one per step) would otherwise redraw them
 * unchanged: browser work that, under load, lands on the next capture (about 12 ms of it on our benchmark).
 * @type {{group: string | null, badge: boolean | null}}
 */
const shownCues = {group: null, badge: null};
/** @type {number[]} tabs opened by the agent's tab since its last action */
let openedByAgent = [];

const ready = chrome.storage.session.get('memory').then((stored) => {
  if (stored.memory) memory = /** @type {Remembered} */ (stored.memory);
});

async function remember() {
  memory.steps = memory.steps.slice(-KEPT_STEPS);
  await chrome.storage.session.set({memory});
}

// -- the bridge connection ------------------------------------------------------------------

/** @type {Promise<void>} */
let connecting = Promise.resolve();

/**
 * Open the bridge connection unless one is open or opening. Pairing, alarms and restarts may all ask at
 * once: the attempts run one after another, so none is lost and none opens a second socket.
 */
function connect() {
  connecting = connecting.then(openSocket).catch((error) => console.error('connecting to the bridge failed', error));
  return connecting;
}

async function openSocket() {
  await ready;
  if (socket && socket.readyState <= WebSocket.OPEN) return;
  clearTimeout(reconnectTimer);
  const stored = /** @type {{token?: string, port?: number}} */ (await chrome.storage.local.get(['token', 'port']));
  const {token, port = DEFAULT_PORT} = stored;
  if (!token) return setConnection({state: 'unpaired', port});
  if (refusedToken === token) return; // refused: only pairing again (a new token) tries once more
  setConnection({state: 'connecting', port});
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['farol.v1', `farol.token.${token}`]);
  socket = ws;
  ws.onopen = () => {
    attempt = 0;
    send({
      type: 'hello',
      extension_version: chrome.runtime.getManifest().version,
      session_id: memory.session?.id ?? null,
      last_step: lastContiguousStep(memory.steps),
    });
    clearInterval(heartbeat);
    heartbeat = setInterval(() => send({type: 'ping'}), HEARTBEAT_MS);
  };
  ws.onmessage = (event) => handleBridgeMessage(JSON.parse(event.data)).catch((error) => console.error(error));
  let opened = false;
  ws.addEventListener('open', () => (opened = true));
  ws.onclose = (event) => {
    if (socket !== ws) return; // a replaced socket: its successor owns the connection state
    socket = null;
    clearInterval(heartbeat);
    if (event.code in REFUSALS) {
      // Retrying cannot help: wait for the person to pair again (the panel shows the form).
      refusedToken = token;
      return setConnection({state: 'refused', detail: REFUSALS[event.code], port});
    }
    const detail = opened
      ? `Lost the connection to Farol on port ${port}; reconnecting…`
      : `Farol is not running on port ${port}: run \`farol serve\` on this computer.`;
    setConnection({state: opened ? 'connecting' : 'unreachable', detail, port});
    reconnectTimer = setTimeout(connect, reconnectDelay(attempt++));
  };
}

/** @param {Record<string, any>} message */
function send(message) {
  if (socket?.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify({v: PROTOCOL_VERSION, ...message}));
  } else if (message.type !== 'result' && message.type !== 'ping' && message.type !== 'hello') {
    toPanels({type: 'error', message: 'Not connected to the Farol bridge; the message was not sent. Is `farol serve` running?'});
  }
}

/** @param {Connection} next */
function setConnection(next) {
  connection = next;
  toPanels({type: 'connection', connection});
}

/** @param {any} message */
async function handleBridgeMessage(message) {
  switch (message.type) {
    case 'welcome':
      setConnection({state: 'connected', port: connection.port});
      if (message.session) await showSession(message.session);
      return;
    case 'settings':
      memory.settings = message;
      await remember();
      return toPanels(message);
    case 'request':
      return answer(message);
    case 'session':
      return showSession(message.session);
    case 'step':
      if (memory.session?.id === message.session_id) memory.steps = withStep(memory.steps, message.step);
      await remember();
      return toPanels(message);
    case 'approval_request':
      memory.approval = message;
      await remember();
      await setBadge(true);
      return toPanels(message);
    case 'error':
    case 'pong':
      return toPanels(message);
  }
}

/**
 * The timeline with `step` in its place (a step the bridge re-sends after a reconnect replaces its copy).
 * @param {any[]} steps @param {any} step
 */
function withStep(steps, step) {
  return [...steps.filter((kept) => kept.index !== step.index), step].sort((a, b) => a.index - b.index);
}

/**
 * The newest step the timeline holds with none missing before it (from its oldest kept one); the bridge
 * re-sends every step after it on reconnect. null when the timeline is empty.
 * @param {any[]} steps
 * @returns {number | null}
 */
function lastContiguousStep(steps) {
  /** @type {number | null} */
  let last = null;
  for (const step of steps) {
    if (last !== null && step.index > last + 1) break;
    last = step.index;
  }
  return last;
}

/** @param {any} session */
async function showSession(session) {
  if (memory.session?.id !== session.id) memory = {...memory, steps: [], approval: null};
  memory.session = session;
  if (session.status !== 'awaiting_approval') memory.approval = null;
  await setBadge(memory.approval !== null);
  await remember();
  toPanels({type: 'session', session});
  await showAgentState(session.status);
}

/**
 * The cue on the agent's tab: its tab group says whether Fara drives it or waits for the person. It lives in
 * the browser's tab strip, so it never enters the screenshots the model sees.
 * @param {string} status
 */
async function showAgentState(status) {
  if (memory.groupId === null) return;
  const waiting = ['awaiting_approval', 'paused', 'taken_over'].includes(status);
  const driving = status === 'running';
  const title = driving ? 'Farol · driving' : waiting ? 'Farol · waiting for you' : 'Farol';
  const cue = JSON.stringify([memory.groupId, title, waiting]);
  if (cue === shownCues.group) return;
  try {
    await chrome.tabGroups.update(memory.groupId, {title, color: waiting ? 'orange' : 'blue'});
    shownCues.group = cue;
  } catch {
    memory.groupId = null; // the person closed the group: nothing to show it on
  }
}

/** @param {boolean} waiting */
async function setBadge(waiting) {
  if (waiting === shownCues.badge) return;
  await chrome.action.setBadgeText({text: waiting ? '!' : ''});
  if (waiting) await chrome.action.setBadgeBackgroundColor({color: '#d97706'});
  shownCues.badge = waiting;
}

// -- the agent's hands -----------------------------------------------------------------------

/** @param {{id: string, method: string, params: Record<string, any>}} request */
async function answer({id, method, params}) {
  try {
    send({type: 'result', id, ok: true, data: await perform(method, params)});
  } catch (error) {
    const kind = error instanceof DriverError ? error.kind : 'failed';
    send({type: 'result', id, ok: false, error: String(error instanceof Error ? error.message : error), error_kind: kind});
  }
}

/** @param {string} method @param {Record<string, any>} params */
async function perform(method, params) {
  switch (method) {
    case 'open':
      return {tab_id: await openAgentTab(params)};
    case 'release':
      return release();
    case 'observe':
      return {...(await agentDriver().observe(params.before, params.capture)), mac: IS_MAC};
    case 'evaluate':
      return agentDriver().read(params.expression);
    case 'cdp':
      openedByAgent = [];
      return {results: await agentDriver().relay(params.commands)};
    case 'probe':
      return agentDriver().probe(params.expression);
    case 'opened_tabs':
      return {tabs: await openedTabs()};
    case 'adopt_tab':
      return adoptTab(params.tab_id);
    case 'close_tab':
      await chrome.tabs.remove(params.tab_id).catch(() => undefined);
      return {};
  }
  throw new DriverError('failed', `unknown method ${method}`);
}

function agentDriver() {
  if (memory.agentTabId === null) throw new DriverError('tab_closed', 'no agent tab');
  let driver = drivers.get(memory.agentTabId);
  if (!driver) drivers.set(memory.agentTabId, (driver = new TabDriver(memory.agentTabId)));
  return driver;
}

/**
 * Open (or take) the agent's tab and attach to it at once, with `script` in its documents; the bridge then waits
 * for it to settle by its own rule.
 * @param {{url?: string, tab_id?: number, script?: string}} params
 */
async function openAgentTab({url, tab_id, script}) {
  if (url && !isActionableUrl(url)) throw new DriverError('refused', `Farol never acts on ${url}`);
  const tab = url ? await chrome.tabs.create({url, active: true}) : await chrome.tabs.get(/** @type {number} */ (tab_id));
  if (tab.id === undefined) throw new DriverError('failed', 'the tab has no id');
  memory.agentTabId = tab.id;
  await addToAgentGroup(tab.id);
  await remember();
  if (script) await agentDriver().install(script);
  return tab.id;
}

/** The tabs the agent's tab opened since its last commands, with where they go (the bridge decides on each). */
async function openedTabs() {
  const opened = openedByAgent.splice(0);
  const tabs = await Promise.all(opened.map((id) => chrome.tabs.get(id).catch(() => null)));
  return tabs.filter((tab) => tab && tab.id !== undefined).map((tab) => ({tab_id: tab?.id, url: tab?.pendingUrl || tab?.url || ''}));
}

/** Follow a tab the agent's page opened, as a person would: it becomes the agent's tab, in its group. @param {number} tabId */
async function adoptTab(tabId) {
  memory.agentTabId = tabId;
  await addToAgentGroup(tabId);
  await remember();
  return {};
}

/** @param {number} tabId */
async function addToAgentGroup(tabId) {
  try {
    const groupId = await chrome.tabs.group(memory.groupId === null ? {tabIds: [tabId]} : {tabIds: [tabId], groupId: memory.groupId});
    if (memory.groupId !== groupId) await chrome.tabGroups.update(groupId, {title: 'Farol · driving', color: 'blue'});
    memory.groupId = groupId;
  } catch {
    memory.groupId = null; // the group was closed, or this browser has no tab groups: the task goes on
  }
}

async function release() {
  await Promise.all([...drivers.values()].map((driver) => driver.detach()));
  drivers.clear();
  return {};
}

chrome.tabs.onCreated.addListener((tab) => {
  if (tab.id !== undefined && memory.agentTabId !== null && tab.openerTabId === memory.agentTabId) openedByAgent.push(tab.id);
});

chrome.debugger.onEvent.addListener((source, method, params) => {
  if (source.tabId !== undefined) drivers.get(source.tabId)?.onEvent(method, params);
});

chrome.debugger.onDetach.addListener((source, reason) => {
  if (source.tabId === undefined) return;
  const driver = drivers.get(source.tabId);
  if (driver) driver.attached = false;
  // The infobar's Cancel button is the person's emergency stop.
  if (reason === 'canceled_by_user' && memory.session) send({type: 'control', session_id: memory.session.id, command: 'stop'});
});

// -- the side panel --------------------------------------------------------------------------

/** @param {Record<string, any>} message */
function toPanels(message) {
  for (const port of panels) port.postMessage(message);
}

chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== 'panel' || port.sender?.id !== chrome.runtime.id) return port.disconnect();
  panels.add(port);
  port.onDisconnect.addListener(() => panels.delete(port));
  port.onMessage.addListener((message) => fromPanel(port, message).catch((error) => port.postMessage({type: 'error', message: String(error)})));
  ready.then(() => postState(port));
});

/** @param {chrome.runtime.Port} port */
function postState(port) {
  port.postMessage({
    type: 'state',
    connection,
    session: memory.session,
    steps: memory.steps,
    approval: memory.approval,
    settings: memory.settings,
  });
}

/** @param {chrome.runtime.Port} port @param {any} message */
async function fromPanel(port, message) {
  await ready;
  switch (message.type) {
    case 'get_state':
      return postState(port);
    case 'pair': {
      const previous = socket;
      socket = null; // its onclose must not touch the new connection
      previous?.close();
      await chrome.storage.local.set({token: String(message.token).trim(), port: Number(message.port) || DEFAULT_PORT});
      attempt = 0;
      refusedToken = null;
      return connect();
    }
    case 'start_task': {
      /** @type {{type: string, task: string, start_url: string | null, tab_id: number | null}} */
      const start = {type: 'start_task', task: message.task, start_url: message.start_url || null, tab_id: null};
      if (!start.start_url) start.tab_id = (await chrome.tabs.query({active: true, lastFocusedWindow: true}))[0]?.id ?? null;
      return send(start);
    }
    case 'follow_up':
      return send({...message, tab_id: memory.agentTabId});
    case 'approval':
      memory.approval = null;
      await remember();
      await setBadge(false);
      return send(message);
    case 'control':
    case 'consent':
      return send(message);
  }
}

// -- staying connected -----------------------------------------------------------------------

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && (changes.token || changes.port) && !socket) connect();
});
chrome.alarms.create('farol-keepalive', {periodInMinutes: 0.5});
chrome.alarms.onAlarm.addListener(() => connect());
chrome.runtime.onInstalled.addListener(() => chrome.sidePanel.setPanelBehavior({openPanelOnActionClick: true}));

connect();
