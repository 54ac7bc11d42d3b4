// Reconnect delays: quick at first (a restarting bridge is back in a second), then at most every 30 s.

const FIRST_MS = 500;
const MAX_MS = 30_000;

/**
 * @param {number} attempt 0 for the first retry
 * @returns {number} milliseconds to wait
 */
export function reconnectDelay(attempt) {
  return Math.min(MAX_MS, FIRST_MS * 2 ** Math.max(0, attempt));
}
