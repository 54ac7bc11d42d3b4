import assert from 'node:assert/strict';
import {test} from 'node:test';

import {chordEvents, keyDefinition, MODIFIER_BITS, selectAllEvents} from '../keys.js';

test('named keys carry the virtual key codes native editing needs', () => {
  assert.deepEqual(keyDefinition('Enter'), {code: 'Enter', keyCode: 13, text: '\r'});
  assert.equal(keyDefinition('Backspace').keyCode, 8);
  assert.equal(keyDefinition('ArrowDown').code, 'ArrowDown');
  assert.equal(keyDefinition('F5').keyCode, 116);
  assert.deepEqual(keyDefinition('Divide'), {code: 'NumpadDivide', keyCode: 111, text: '/'});
});

test('single characters', () => {
  assert.deepEqual(keyDefinition('a'), {code: 'KeyA', keyCode: 65, text: 'a'});
  assert.deepEqual(keyDefinition('7'), {code: 'Digit7', keyCode: 55, text: '7'});
  assert.deepEqual(keyDefinition('é'), {code: '', keyCode: 0, text: 'é'});
  assert.throws(() => keyDefinition('Hyper'), /unknown key "Hyper"/);
});

test('a chord presses in order and releases in reverse, with modifier bits', () => {
  const events = chordEvents(['Control', 'Shift', 't'], false);
  assert.deepEqual(
    events.map((e) => [e.type, e.key, e.modifiers]),
    [
      ['rawKeyDown', 'Control', MODIFIER_BITS.Control],
      ['rawKeyDown', 'Shift', MODIFIER_BITS.Control | MODIFIER_BITS.Shift],
      ['rawKeyDown', 't', MODIFIER_BITS.Control | MODIFIER_BITS.Shift],
      ['keyUp', 't', MODIFIER_BITS.Control | MODIFIER_BITS.Shift],
      ['keyUp', 'Shift', MODIFIER_BITS.Control | MODIFIER_BITS.Shift],
      ['keyUp', 'Control', MODIFIER_BITS.Control],
    ],
  );
  assert.equal(events[2].text, undefined, 'a control chord types no text');
});

test('plain and shifted characters type text; Enter sends a carriage return', () => {
  const [down] = chordEvents(['Enter'], false);
  assert.equal(down.type, 'keyDown');
  assert.equal(down.text, '\r');
  const shifted = chordEvents(['Shift', 'a'], false);
  assert.equal(shifted[1].text, 'a');
});

test('editing shortcuts use editor commands on macOS only', () => {
  assert.deepEqual(selectAllEvents(true)[1].commands, ['selectAll']);
  assert.equal(selectAllEvents(true)[0].key, 'Meta');
  assert.equal(selectAllEvents(false)[1].commands, undefined);
  assert.deepEqual(chordEvents(['Meta', 'v'], true)[1].commands, ['paste']);
});
