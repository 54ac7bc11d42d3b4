// Drives one agent tab through chrome.debugger (CDP 1.3): capture, input, navigation, settling.
// Coordinates arrive in CSS pixels; the bridge did the model <-> CSS mapping.

import {chordEvents, selectAllEvents} from './keys.js';

const SCROLL_STEP = 400; // the reference harness's wheel step, by the sign of `pixels`
const MAX_WAIT_MS = 60_000;

/**
 * @typedef {object} SettleRule The agent core's settle rule (agent/settle.py), sent with each action.
 * @property {'smart' | 'fixed'} mode
 * @property {number} fixed_ms
 * @property {number} quiet_ms
 * @property {number} cap_ms
 * @property {number} poll_ms
 * @property {string} watch_script installed in every document: records DOM changes
 * @property {string} quiet_expression ms since the DOM last changed
 */

/** An error the bridge understands: `kind` is one of the protocol's error kinds. */
export class DriverError extends Error {
  /** @param {'tab_hidden' | 'tab_closed' | 'detached' | 'refused' | 'failed'} kind @param {string} message */
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/** Only ordinary web pages are ever acted on (never chrome://, file:, data:, the Web Store...). */
export function isActionableUrl(/** @type {string | undefined} */ url) {
  if (!url || url === 'about:blank') return true;
  try {
    const {protocol, hostname, pathname} = new URL(url);
    if (protocol !== 'http:' && protocol !== 'https:') return false;
    return hostname !== 'chromewebstore.google.com' && !(hostname === 'chrome.google.com' && pathname.startsWith('/webstore'));
  } catch {
    return false;
  }
}

/**
 * A page script failing mid-navigation reads as `fallback`; a tab that is gone ends the wait at once.
 * @template T @param {T} fallback @returns {(error: unknown) => T}
 */
const rethrowIfGone = (fallback) => (error) => {
  if (error instanceof DriverError && error.kind === 'tab_closed') throw error;
  return fallback;
};

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Capture and scan as one: the page's state, read just before and just after each capture in one Runtime.evaluate
 * each (agent/page_scripts.py CAPTURE_STATE_FUNCTION reads the same for headless Chromium): the document (a token set
 * once per document), URL, viewport, visibility and the filled fields (`fields` null when the scan fails).
 * @param {string} fieldsExpression
 */
export const captureStateExpression = (fieldsExpression) => `(() => {
  window.__farolDocument ??= performance.timeOrigin + ':' + Math.random();
  let fields = null;
  try {
    fields = ${fieldsExpression};
  } catch {}
  return {document: window.__farolDocument, url: location.href, visibility: document.visibilityState,
          viewport: [innerWidth, innerHeight, devicePixelRatio], fields};
})()`;

/**
 * The fields to mask, when both readings show one page with the same fields; else null: the page changed under the
 * capture, the boxes may not match its pixels, and the bridge keeps a placeholder instead.
 * @param {any} before @param {any} after
 */
export function fieldsIfUnchanged(before, after) {
  if (!before || !after || before.fields === null) return null;
  return JSON.stringify(before) === JSON.stringify(after) ? after.fields : null;
}

export class TabDriver {
  /** @param {number} tabId */
  constructor(tabId) {
    this.tabId = tabId;
    this.attached = false;
    /** @type {Set<string>} */
    this.inflight = new Set();
    this.lastNetworkActivity = 0;
    this.mouse = {x: 0, y: 0};
    this.watchInstalled = false;
  }

  get target() {
    return {tabId: this.tabId};
  }

  async attach() {
    if (this.attached) return;
    try {
      await chrome.debugger.attach(this.target, '1.3');
    } catch (error) {
      // After a service-worker restart our own session may still be attached.
      if (!String(error).includes('already attached')) throw new DriverError('detached', String(error));
    }
    this.attached = true;
    await this.send('Network.enable');
    await this.send('Page.enable');
  }

  async detach() {
    if (!this.attached) return;
    this.attached = false;
    try {
      await chrome.debugger.detach(this.target);
    } catch {
      // already detached (tab closed, or the person pressed Cancel on the infobar)
    }
  }

  /** @param {string} method @param {object} [params] @returns {Promise<any>} */
  async send(method, params = {}) {
    try {
      return await chrome.debugger.sendCommand(this.target, method, params);
    } catch (error) {
      const text = String(error);
      if (text.includes('No tab with given id')) throw new DriverError('tab_closed', 'the agent tab was closed');
      if (text.includes('not attached') || text.includes('Detached')) {
        // Closing a tab detaches the debugger first: say which of the two happened, once the tab is gone.
        await sleep(200);
        const tab = await chrome.tabs.get(this.tabId).catch(() => null);
        throw tab ? new DriverError('detached', 'the debugger was detached') : new DriverError('tab_closed', 'the agent tab was closed');
      }
      throw new DriverError('failed', `${method}: ${text}`);
    }
  }

  /** @param {string} method @param {any} params */
  onEvent(method, params) {
    if (method === 'Network.requestWillBeSent') this.inflight.add(params.requestId);
    else if (method === 'Network.loadingFinished' || method === 'Network.loadingFailed') this.inflight.delete(params.requestId);
    else return;
    this.lastNetworkActivity = performance.now();
  }

  /** @param {string} expression */
  async evaluate(expression) {
    const reply = await this.send('Runtime.evaluate', {expression, returnByValue: true, awaitPromise: true});
    if (reply.exceptionDetails) throw new DriverError('failed', reply.exceptionDetails.text || 'page script failed');
    return reply.result.value;
  }

  async checkActionable() {
    const tab = await chrome.tabs.get(this.tabId).catch(() => null);
    if (!tab) throw new DriverError('tab_closed', 'the agent tab was closed');
    const url = tab.pendingUrl || tab.url;
    if (!isActionableUrl(url)) throw new DriverError('refused', `Farol never acts on ${url}`);
    return tab;
  }

  /** @param {string} [fieldsExpression] lists the filled text fields in view, so the bridge can mask secret ones */
  async observe(fieldsExpression = '[]') {
    const tab = await this.checkActionable();
    await this.attach();
    const state = captureStateExpression(fieldsExpression);
    const before = await this.evaluate(state);
    // Capturing a hidden tab waits for a frame that never comes (claude-code #78533): report it instead.
    if (before.visibility === 'hidden') throw new DriverError('tab_hidden', 'the agent tab is hidden');
    const [cssWidth, cssHeight, dpr] = before.viewport;
    // Chromium's fast PNG: lossless like the default, several times quicker to make and to decode.
    const {data} = await this.send('Page.captureScreenshot', {format: 'png', optimizeForSpeed: true});
    const after = await this.evaluate(state).catch(rethrowIfGone(null));
    const fields = fieldsIfUnchanged(before, after);
    return {png: data, css_width: cssWidth, css_height: cssHeight, device_pixel_ratio: dpr, url: tab.url, title: tab.title || '', fields};
  }

  /** @param {string} expression */
  async elementAt(expression) {
    await this.attach();
    return {element: await this.evaluate(expression)};
  }

  /**
   * @param {Record<string, any>} action the agent's action, in CSS pixels, keys as DOM key names
   * @param {SettleRule} settle
   * @param {boolean} isMac
   * @returns {Promise<string>} what happened, for the step log
   */
  async perform(action, settle, isMac) {
    await this.checkActionable();
    await this.attach();
    await this.installWatch(settle);
    switch (action.action) {
      case 'left_click': {
        const [x, y] = action.coordinate;
        await this.click(x, y);
        return `I clicked at coordinates (${x}, ${y}).`;
      }
      case 'mouse_move': {
        const [x, y] = action.coordinate;
        await this.moveMouse(x, y);
        return '';
      }
      case 'type': {
        if (action.coordinate) await this.click(action.coordinate[0], action.coordinate[1]);
        if (action.delete_existing_text) {
          await this.keys(selectAllEvents(isMac));
          await this.keys(chordEvents(['Backspace'], isMac));
        }
        await this.send('Input.insertText', {text: action.text});
        if (action.press_enter ?? true) await this.keys(chordEvents(['Enter'], isMac));
        return `I typed '${action.text}'.`;
      }
      case 'key':
        await this.keys(chordEvents(action.keys, isMac));
        return `I pressed the following keys: ${action.keys.join(', ')}`;
      case 'scroll': {
        const pixels = Math.trunc(action.pixels);
        if (pixels === 0) return 'I did not scroll (0 pixels).';
        const deltaY = pixels > 0 ? -SCROLL_STEP : SCROLL_STEP;
        await this.send('Input.dispatchMouseEvent', {type: 'mouseWheel', x: this.mouse.x, y: this.mouse.y, deltaX: 0, deltaY});
        return `I scrolled ${pixels > 0 ? 'up' : 'down'} one page in the browser.`;
      }
      case 'visit_url':
      case 'web_search':
        await chrome.tabs.update(this.tabId, {url: action.target_url});
        return action.action === 'visit_url'
          ? `I typed '${action.url}' into the browser address bar.`
          : `I typed '${action.query}' into the browser search bar.`;
      case 'history_back':
        try {
          await chrome.tabs.goBack(this.tabId);
          return 'I clicked the browser back button.';
        } catch {
          return 'There is no page to go back to.';
        }
      case 'wait':
        await sleep(Math.min((action.time ?? 3) * 1000, MAX_WAIT_MS));
        return 'I am waiting a short period of time before taking further action.';
      case 'pause_and_memorize_fact':
        return `I memorized the following fact: ${action.fact}`;
      case 'terminate':
        return '';
      default:
        throw new DriverError('failed', `unknown action ${action.action}`);
    }
  }

  /** @param {number} x @param {number} y */
  async moveMouse(x, y) {
    await this.send('Input.dispatchMouseEvent', {type: 'mouseMoved', x, y});
    this.mouse = {x, y};
  }

  /** @param {number} x @param {number} y */
  async click(x, y) {
    await this.moveMouse(x, y);
    await this.send('Input.dispatchMouseEvent', {type: 'mousePressed', x, y, button: 'left', buttons: 1, clickCount: 1});
    await this.send('Input.dispatchMouseEvent', {type: 'mouseReleased', x, y, button: 'left', buttons: 0, clickCount: 1});
  }

  /** @param {import('./keys.js').KeyEvent[]} events */
  async keys(events) {
    for (const event of events) await this.send('Input.dispatchKeyEvent', event);
  }

  /** @param {SettleRule} settle */
  async installWatch(settle) {
    if (this.watchInstalled) return;
    await this.send('Page.addScriptToEvaluateOnNewDocument', {source: settle.watch_script});
    await this.evaluate(settle.watch_script).catch(() => undefined);
    this.watchInstalled = true;
  }

  /**
   * Wait until the page is ready for the next screenshot: the agent core's rule, applied here.
   * @param {SettleRule} settle
   * @returns {Promise<number>} milliseconds spent
   */
  async settle(settle) {
    const started = performance.now();
    const deadline = started + (settle.mode === 'fixed' ? MAX_WAIT_MS : settle.cap_ms);
    await sleep(settle.poll_ms); // let a navigation triggered by the action begin
    while (performance.now() < deadline && (await this.readyState()) !== 'complete') await sleep(settle.poll_ms);
    if (settle.mode === 'fixed') {
      await sleep(settle.fixed_ms);
      return performance.now() - started;
    }
    while (performance.now() < deadline) {
      // Quiet since the action, too: a navigation a click starts may not have sent its request yet.
      const lastActivity = Math.max(this.lastNetworkActivity, started);
      const networkQuiet = this.inflight.size === 0 && performance.now() - lastActivity >= settle.quiet_ms;
      if (networkQuiet && (await this.domQuietFor(settle)) >= settle.quiet_ms) break;
      await sleep(settle.poll_ms);
    }
    return performance.now() - started;
  }

  async readyState() {
    return this.evaluate('document.readyState').catch(rethrowIfGone('loading'));
  }

  /** @param {SettleRule} settle */
  async domQuietFor(settle) {
    return Number(await this.evaluate(settle.quiet_expression).catch(rethrowIfGone(0)));
  }
}
