// CDP key events for DOM key names (the bridge has already mapped the model's CUA names, e.g. `ctrl`).
// Pure: no chrome.* here, so node's test runner covers it.

/** @typedef {{code: string, keyCode: number, text?: string}} KeyDefinition */

/**
 * @typedef {object} KeyEvent Parameters of CDP `Input.dispatchKeyEvent`.
 * @property {'keyDown' | 'rawKeyDown' | 'keyUp'} type
 * @property {string} key
 * @property {string} code
 * @property {number} windowsVirtualKeyCode
 * @property {number} modifiers
 * @property {string} [text]
 * @property {string[]} [commands]
 */

/** @type {Record<string, KeyDefinition>} */
const NAMED_KEYS = {
  Enter: {code: 'Enter', keyCode: 13, text: '\r'},
  Tab: {code: 'Tab', keyCode: 9},
  Backspace: {code: 'Backspace', keyCode: 8},
  Delete: {code: 'Delete', keyCode: 46},
  Escape: {code: 'Escape', keyCode: 27},
  ArrowLeft: {code: 'ArrowLeft', keyCode: 37},
  ArrowUp: {code: 'ArrowUp', keyCode: 38},
  ArrowRight: {code: 'ArrowRight', keyCode: 39},
  ArrowDown: {code: 'ArrowDown', keyCode: 40},
  Home: {code: 'Home', keyCode: 36},
  End: {code: 'End', keyCode: 35},
  PageUp: {code: 'PageUp', keyCode: 33},
  PageDown: {code: 'PageDown', keyCode: 34},
  Insert: {code: 'Insert', keyCode: 45},
  CapsLock: {code: 'CapsLock', keyCode: 20},
  ' ': {code: 'Space', keyCode: 32, text: ' '},
  Divide: {code: 'NumpadDivide', keyCode: 111, text: '/'},
  Backslash: {code: 'Backslash', keyCode: 220, text: '\\'},
  Alt: {code: 'AltLeft', keyCode: 18},
  Control: {code: 'ControlLeft', keyCode: 17},
  Shift: {code: 'ShiftLeft', keyCode: 16},
  Meta: {code: 'MetaLeft', keyCode: 91},
};
for (let n = 1; n <= 12; n++) NAMED_KEYS[`F${n}`] = {code: `F${n}`, keyCode: 111 + n};

/** CDP modifier bits. */
export const MODIFIER_BITS = /** @type {const} */ ({Alt: 1, Control: 2, Meta: 4, Shift: 8});

// macOS editing shortcuts do nothing as plain key events over CDP; they need editor commands.
/** @type {Record<string, string>} */
const MAC_COMMANDS = {a: 'selectAll', c: 'copy', v: 'paste', x: 'cut', z: 'undo', y: 'redo'};

/**
 * @param {string} name a DOM key name (`Enter`, `Control`, `a`, `A`, `7`, `/`)
 * @returns {KeyDefinition}
 */
export function keyDefinition(name) {
  const named = NAMED_KEYS[name];
  if (named) return named;
  if ([...name].length !== 1) throw new Error(`unknown key ${JSON.stringify(name)}`);
  if (/^[a-z]$/i.test(name)) return {code: `Key${name.toUpperCase()}`, keyCode: name.toUpperCase().charCodeAt(0), text: name};
  if (/^[0-9]$/.test(name)) return {code: `Digit${name}`, keyCode: name.charCodeAt(0), text: name};
  return {code: '', keyCode: 0, text: name};
}

/**
 * Press `names` down in order, then release them in reverse (the reference's `key` action).
 * @param {string[]} names DOM key names
 * @param {boolean} isMac
 * @returns {KeyEvent[]}
 */
export function chordEvents(names, isMac) {
  const definitions = names.map((name) => ({name, ...keyDefinition(name)}));
  /** @type {KeyEvent[]} */
  const events = [];
  let modifiers = 0;
  for (const {name, code, keyCode, text} of definitions) {
    modifiers |= modifierBit(name);
    const typesText = text !== undefined && (modifiers & ~MODIFIER_BITS.Shift) === 0;
    /** @type {KeyEvent} */
    const down = {type: typesText ? 'keyDown' : 'rawKeyDown', key: name, code, windowsVirtualKeyCode: keyCode, modifiers};
    if (typesText) down.text = text;
    const command = isMac && modifiers & (MODIFIER_BITS.Meta | MODIFIER_BITS.Control) ? MAC_COMMANDS[name.toLowerCase()] : undefined;
    if (command) down.commands = [command];
    events.push(down);
  }
  for (const {name, code, keyCode} of [...definitions].reverse()) {
    events.push({type: 'keyUp', key: name, code, windowsVirtualKeyCode: keyCode, modifiers});
    modifiers &= ~modifierBit(name);
  }
  return events;
}

/**
 * The chord that selects all text in the focused field.
 * @param {boolean} isMac
 * @returns {KeyEvent[]}
 */
export function selectAllEvents(isMac) {
  return chordEvents([isMac ? 'Meta' : 'Control', 'a'], isMac);
}

/** @param {string} name */
function modifierBit(name) {
  return name in MODIFIER_BITS ? MODIFIER_BITS[/** @type {keyof typeof MODIFIER_BITS} */ (name)] : 0;
}
