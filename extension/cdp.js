// The agent tab's end of chrome.debugger (CDP 1.3): capture and scan, and a relay for the commands the bridge
// plans for each action (`agent/cdp_actions.py`) and the facts its settle rule reads. No action semantics here:
// what a click or a key press is, and when a page has settled, is decided on the bridge's side.

import {RELAYED_METHODS} from './relayed_methods.js';

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

export class TabDriver {
  /** @param {number} tabId */
  constructor(tabId) {
    this.tabId = tabId;
    this.attached = false;
    /** @type {Set<string>} */
    this.inflight = new Set();
    this.lastNetworkActivity = 0;
    /** @type {Set<string>} scripts installed in every document of the tab */
    this.installed = new Set();
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

  /**
   * The tab's screenshot just after a reading of its page, returned as read: the bridge sends the expression
   * (agent/page_scripts.py: the carets hidden and the page's state read) and the capture's parameters
   * (agent/capture.py CAPTURE), reads the page again after it (`read`), and decides what the readings mean.
   * @param {string} before @param {Record<string, unknown>} capture
   */
  async observe(before, capture) {
    const tab = await this.checkActionable();
    await this.attach();
    const readBefore = await this.evaluate(before);
    // Capturing a hidden tab waits for a frame that never comes (claude-code #78533): report it instead (the
    // carets come back by themselves, page_scripts.CARETS_HIDDEN_AT_MOST_MS).
    if (readBefore?.visibility === 'hidden') throw new DriverError('tab_hidden', 'the agent tab is hidden');
    const {data} = await this.send('Page.captureScreenshot', capture);
    return {png: data, before: readBefore, url: tab.url, title: tab.title || ''};
  }

  /**
   * An expression's value in the tab's top frame: the bridge reads the page with it (agent/page_scripts.py).
   * @param {string} expression
   */
  async read(expression) {
    await this.attach();
    return {value: await this.evaluate(expression)};
  }

  /**
   * Relay the CDP commands of one action (planned by the bridge, `agent/cdp_actions.py`), in order, on the agent's
   * tab; their results, in order. Only the methods actions use are relayed, and a navigation only to an ordinary
   * web page; anything else is refused, logged, and nothing of the batch is sent.
   * @param {[string, Record<string, any>][]} commands
   */
  async relay(commands) {
    for (const [method, params] of commands) {
      const refusal = relayRefusal(method, params);
      if (refusal) {
        console.warn('Farol refused a command from the bridge:', refusal);
        throw new DriverError('refused', refusal);
      }
    }
    await this.checkActionable();
    await this.attach();
    const results = [];
    for (const [method, params] of commands) results.push(await this.send(method, params));
    return results;
  }

  /**
   * Facts for the bridge's settle rule (agent/settle.py): the page's own (by `expression`) and its network's.
   * @param {string} expression
   */
  async probe(expression) {
    await this.attach();
    const page = await this.evaluate(expression).catch(rethrowIfGone(null));
    return {
      page,
      requests_in_flight: this.inflight.size,
      network_quiet_ms: Math.round(performance.now() - this.lastNetworkActivity),
    };
  }

  /**
   * Run `script` in every document of the tab from now on (the settle rule's DOM watch), and in this one.
   * @param {string} script
   */
  async install(script) {
    await this.attach();
    if (this.installed.has(script)) return;
    await this.send('Page.addScriptToEvaluateOnNewDocument', {source: script});
    await this.evaluate(script).catch(() => undefined);
    this.installed.add(script);
  }
}

/**
 * Why a command must not be relayed, or null: only what actions use (generated from the bridge's list), and a
 * navigation only to an ordinary web page (the bridge's URL policy ran first; this is the last line).
 * @param {string} method @param {Record<string, any>} params
 */
export function relayRefusal(method, params) {
  if (!RELAYED_METHODS.includes(method)) return `${method} is not an action's command`;
  if (method === 'Page.navigate' && !isActionableUrl(params?.url)) return `Farol never acts on ${params?.url}`;
  return null;
}
