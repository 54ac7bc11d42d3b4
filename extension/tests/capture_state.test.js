import assert from 'node:assert/strict';
import {test} from 'node:test';
import vm from 'node:vm';

import {captureStateExpression, fieldsIfUnchanged} from '../cdp.js';

const field = {element: {tag: 'input', input_type: 'password'}, x: 10, y: 20, width: 100, height: 30};
const state = (changes = {}) => ({document: 'd1', url: 'http://a.test/', visibility: 'visible', viewport: [800, 600, 1], fields: [field], ...changes});

test('the fields of a page read the same before and after the capture are the ones masked', () => {
  assert.deepEqual(fieldsIfUnchanged(state(), state()), [field]);
  assert.deepEqual(fieldsIfUnchanged(state({fields: []}), state({fields: []})), []);
});

test('a page that changed during the capture has no fields to mask: its screenshot is withheld', () => {
  const moved = {...field, y: 200};
  for (const after of [state({fields: [moved]}), state({fields: []}), state({document: 'd2'}), state({url: 'http://a.test/#x'}), state({viewport: [800, 500, 1]}), null]) {
    assert.equal(fieldsIfUnchanged(state(), after), null, JSON.stringify(after));
  }
  assert.equal(fieldsIfUnchanged(state({fields: null}), state({fields: null})), null); // the scan itself failed
});

/** A stand-in for a document's window, enough for the state expression. */
function newPage() {
  const page = vm.createContext({
    performance: {timeOrigin: 1},
    location: {href: 'http://a.test/'},
    document: {visibilityState: 'visible'},
    innerWidth: 800,
    innerHeight: 600,
    devicePixelRatio: 2,
  });
  page.window = page;
  return page;
}

test('the state names its document once, and reads null fields when the scan fails', () => {
  const page = newPage();
  const first = vm.runInContext(captureStateExpression('[]'), page);
  assert.deepEqual({...vm.runInContext(captureStateExpression('[]'), page)}, {...first});
  assert.deepEqual([...first.viewport], [800, 600, 2]);
  assert.notEqual(vm.runInContext(captureStateExpression('[]'), newPage()).document, first.document);
  assert.equal(vm.runInContext(captureStateExpression('(() => { throw new Error("gone"); })()'), page).fields, null);
});
