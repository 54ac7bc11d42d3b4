import assert from 'node:assert/strict';
import {test} from 'node:test';

import {isActionableUrl} from '../cdp.js';

test('the extension acts only on ordinary web pages', () => {
  for (const url of ['https://example.com/', 'http://127.0.0.1:8000/x', 'about:blank', undefined]) {
    assert.equal(isActionableUrl(url), true, url);
  }
  for (const url of [
    'chrome://settings',
    'chrome-extension://abc/panel.html',
    'file:///etc/passwd',
    'data:text/html,hi',
    'javascript:alert(1)',
    'https://chromewebstore.google.com/detail/x',
    'https://chrome.google.com/webstore/category',
    'not a url',
  ]) {
    assert.equal(isActionableUrl(url), false, url);
  }
});
