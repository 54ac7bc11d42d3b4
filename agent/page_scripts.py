"""JavaScript the agent runs in pages, shared by every environment (Playwright here, CDP in the extension).

Keeping one copy means headless Chromium and the person's Chrome settle and inspect pages identically.
"""

from __future__ import annotations

# Installed in every document: remembers when the DOM last changed.
DOM_WATCH_SCRIPT = """
(() => {
  window.__farolLastMutation = performance.now();
  new MutationObserver(() => { window.__farolLastMutation = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();
"""

DOM_QUIET_EXPRESSION = "performance.now() - (window.__farolLastMutation ?? 0)"

# What the guard may know of an element: never the value a person typed (only button-like inputs expose
# theirs, as it is their label). Shared by the two functions below.
_DESCRIBE = """
const describe = (target) => {
  const tag = target.tagName.toLowerCase();
  const type = (target.getAttribute('type') || '').toLowerCase();
  const buttonValue = tag === 'input' && ['submit', 'button'].includes(type) ? target.value : '';
  const text = target.getAttribute('aria-label') || (tag === 'input' || tag === 'textarea' ? '' : target.innerText)
    || buttonValue || target.getAttribute('placeholder') || target.getAttribute('title') || '';
  return {tag, input_type: type, autocomplete: (target.getAttribute('autocomplete') || '').toLowerCase(),
          name: target.getAttribute('name') || '', id: target.id || '', role: target.getAttribute('role') || '',
          text: text.trim().replace(/\\s+/g, ' ').slice(0, 200)};
};
"""

ELEMENT_AT_FUNCTION = f"""
([x, y]) => {{
  {_DESCRIBE.strip()}
  let el = document.elementFromPoint(x, y);
  for (;;) {{
    let inner = null;
    if (el && el.shadowRoot) {{
      inner = el.shadowRoot.elementFromPoint(x, y);
    }} else if (el && (el.tagName === 'IFRAME' || el.tagName === 'FRAME') && el.contentDocument) {{
      // A same-origin frame: look inside it. A cross-origin one stays an 'iframe' (the guard treats typing
      // into it as secret, since payment forms live in such frames).
      const box = el.getBoundingClientRect();
      x -= box.left + el.clientLeft;
      y -= box.top + el.clientTop;
      inner = el.contentDocument.elementFromPoint(x, y);
    }}
    if (!inner || inner === el) break;
    el = inner;
  }}
  if (!el) return null;
  let target = el.closest('button, a, input, textarea, select, summary, [role], label') || el;
  if (target.tagName === 'LABEL' && target.control) target = target.control;
  return describe(target);
}}
"""

# The filled text fields in view, with their boxes in CSS pixels of the top page: the agent paints over the
# secret ones before a screenshot is stored. Same-origin frames are searched too; cross-origin ones cannot be.
FILLED_FIELDS_FUNCTION = f"""
() => {{
  {_DESCRIBE.strip()}
  const fields = [];
  const collect = (doc, dx, dy) => {{
    for (const el of doc.querySelectorAll('input, textarea')) {{
      if (!el.value) continue;
      const box = el.getBoundingClientRect();
      const x = box.left + dx, y = box.top + dy;
      if (box.width === 0 || box.height === 0 || x + box.width < 0 || y + box.height < 0
          || x > innerWidth || y > innerHeight) continue;
      fields.push({{element: describe(el), x, y, width: box.width, height: box.height}});
    }}
    for (const frame of doc.querySelectorAll('iframe, frame')) {{
      if (!frame.contentDocument) continue;
      const box = frame.getBoundingClientRect();
      collect(frame.contentDocument, dx + box.left + frame.clientLeft, dy + box.top + frame.clientTop);
    }}
  }};
  collect(document, 0, 0);
  return fields;
}}
"""
FILLED_FIELDS_EXPRESSION = f"({FILLED_FIELDS_FUNCTION.strip()})()"


def element_at_expression(x: float, y: float) -> str:
    """ELEMENT_AT_FUNCTION applied to a point, as one expression (for CDP Runtime.evaluate)."""
    return f"({ELEMENT_AT_FUNCTION.strip()})([{x}, {y}])"


# CUA key names (lower-cased) -> DOM key names, as in the reference harness (including '/' -> Divide).
KEY_NAMES = {
    "/": "Divide",
    "\\": "Backslash",
    "alt": "Alt",
    "arrowdown": "ArrowDown",
    "arrowleft": "ArrowLeft",
    "arrowright": "ArrowRight",
    "arrowup": "ArrowUp",
    "backspace": "Backspace",
    "capslock": "CapsLock",
    "cmd": "Meta",
    "ctrl": "Control",
    "delete": "Delete",
    "end": "End",
    "enter": "Enter",
    "esc": "Escape",
    "home": "Home",
    "insert": "Insert",
    "option": "Alt",
    "pagedown": "PageDown",
    "pageup": "PageUp",
    "shift": "Shift",
    "space": " ",
    "super": "Meta",
    "tab": "Tab",
    "win": "Meta",
}


def dom_key(name: str) -> str:
    """A CUA key name as the model writes it (`ctrl`, `esc`, `Enter`) -> the DOM `KeyboardEvent.key` name."""
    return KEY_NAMES.get(name.lower(), name)
