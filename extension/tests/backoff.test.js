import assert from 'node:assert/strict';
import {test} from 'node:test';

import {reconnectDelay} from '../backoff.js';

test('reconnects quickly at first, then backs off to at most 30 s', () => {
  assert.deepEqual([0, 1, 2, 3].map(reconnectDelay), [500, 1000, 2000, 4000]);
  assert.equal(reconnectDelay(20), 30_000);
  assert.equal(reconnectDelay(-1), 500);
});
