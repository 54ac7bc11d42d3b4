"""JavaScript the agent runs in pages, shared by every environment (Playwright here, CDP in the extension).

Keeping one copy means headless Chromium and the person's Chrome settle and inspect pages identically.
"""

from __future__ import annotations

from typing import Any

# Installed in every document: remembers when the DOM last changed, and which frames the keyboard focus has
# entered (a cross-origin one may hold a card form that no script of ours can read). Safe to run twice.
DOM_WATCH_SCRIPT = """
(() => {
  if (window.__farolFocusedFrames) return;
  window.__farolFocusedFrames = new Set();
  window.__farolLastMutation = performance.now();
  new MutationObserver(() => { window.__farolLastMutation = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  // Focus moving into a frame blurs this window; only then is the frame the active element.
  window.addEventListener('blur', () => setTimeout(() => {
    const el = document.activeElement;
    if (el && (el.tagName === 'IFRAME' || el.tagName === 'FRAME')) window.__farolFocusedFrames.add(el);
  }));
})();
"""

DOM_QUIET_EXPRESSION = "performance.now() - (window.__farolLastMutation ?? 0)"
# What the settle rule reads from the page in one round trip (agent/settle.py `PageFacts`).
PAGE_FACTS_EXPRESSION = f"({{loaded: document.readyState === 'complete', dom_quiet_ms: {DOM_QUIET_EXPRESSION}}})"

# What the guard may know of an element: never the value a person typed (only button-like inputs expose
# theirs, as it is their label). Shared by the two functions below.
_DESCRIBE = """
const describe = (target) => {
  const tag = target.tagName.toLowerCase();
  const type = (target.getAttribute('type') || '').toLowerCase();
  const buttonValue = tag === 'input' && ['submit', 'button'].includes(type) ? target.value : '';
  const text = target.getAttribute('aria-label') || (tag === 'input' || tag === 'textarea' ? '' : target.innerText)
    || buttonValue || target.getAttribute('placeholder') || target.getAttribute('title') || '';
  // Where a click leads or what it sends, so the guard can tell a "Buy" link from a "Buy" button.
  const href = tag === 'a' || tag === 'area' ? (target.getAttribute('href') || '').trim() : '';
  const submits = (tag === 'button' && (type === '' || type === 'submit'))
    || (tag === 'input' && (type === 'submit' || type === 'image'));
  const form = submits ? target.form : null;
  const formMethod = form ? (target.getAttribute('formmethod') || form.getAttribute('method') || 'get') : '';
  return {tag, input_type: type, autocomplete: (target.getAttribute('autocomplete') || '').toLowerCase(),
          name: target.getAttribute('name') || '', id: target.id || '', role: target.getAttribute('role') || '',
          text: text.trim().replace(/\\s+/g, ' ').slice(0, 200), href, form_method: formMethod.toLowerCase()};
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

# The element that keystrokes go to: the active element, followed into shadow roots and same-origin frames.
# A cross-origin frame stays an 'iframe', as for ELEMENT_AT_FUNCTION. None when nothing takes text.
FOCUSED_ELEMENT_FUNCTION = f"""
() => {{
  {_DESCRIBE.strip()}
  let el = document.activeElement;
  for (;;) {{
    let inner = null;
    if (el && el.shadowRoot) inner = el.shadowRoot.activeElement;
    else if (el && (el.tagName === 'IFRAME' || el.tagName === 'FRAME') && el.contentDocument) {{
      inner = el.contentDocument.activeElement;
    }}
    if (!inner || inner === el) break;
    el = inner;
  }}
  if (!el || el.tagName === 'BODY' || el.tagName === 'HTML') return null;
  return describe(el);
}}
"""
FOCUSED_ELEMENT_EXPRESSION = f"({FOCUSED_ELEMENT_FUNCTION.strip()})()"

# The filled text fields in view, with their boxes in CSS pixels of the top page: the agent paints over the
# secret ones before a screenshot is stored. Same-origin frames are searched too. A cross-origin frame cannot
# be: once the keyboard focus has been inside one, the whole frame is listed (a frame element, which is secret).
FILLED_FIELDS_FUNCTION = f"""
() => {{
  {_DESCRIBE.strip()}
  const fields = [];
  const add = (el, dx, dy) => {{
    const box = el.getBoundingClientRect();
    const x = box.left + dx, y = box.top + dy;
    if (box.width === 0 || box.height === 0 || x + box.width < 0 || y + box.height < 0
        || x > innerWidth || y > innerHeight) return;
    fields.push({{element: describe(el), x, y, width: box.width, height: box.height}});
  }};
  const collect = (doc, dx, dy) => {{
    for (const el of doc.querySelectorAll('input, textarea')) {{
      if (el.value) add(el, dx, dy);
    }}
    const focused = doc.defaultView.__farolFocusedFrames ?? new Set();
    for (const frame of doc.querySelectorAll('iframe, frame')) {{
      if (!frame.contentDocument) {{
        if (focused.has(frame) || doc.activeElement === frame) add(frame, dx, dy);
        continue;
      }}
      const box = frame.getBoundingClientRect();
      collect(frame.contentDocument, dx + box.left + frame.clientLeft, dy + box.top + frame.clientTop);
    }}
  }};
  collect(document, 0, 0);
  return fields;
}}
"""
FILLED_FIELDS_EXPRESSION = f"({FILLED_FIELDS_FUNCTION.strip()})()"

# Capture and scan as one: read just before and just after each capture, in the top frame. The fields' boxes are
# painted over in the kept copy only when both readings agree (`same_capture_state`): the same document (a token
# set once per document), URL, visibility, viewport and filled fields. Otherwise the page changed under the capture
# and none of it is kept. `fields` is null when the scan failed. Both paths read it (`BEFORE_CAPTURE_EXPRESSION`).
CAPTURE_STATE_FUNCTION = f"""
() => {{
  window.__farolDocument ??= `${{performance.timeOrigin}}:${{Math.random()}}`;
  let fields = null;
  try {{
    fields = {FILLED_FIELDS_EXPRESSION};
  }} catch {{}}
  return {{document: window.__farolDocument, url: location.href, visibility: document.visibilityState,
           viewport: [innerWidth, innerHeight, devicePixelRatio], fields, title: document.title}};
}}
"""

# Before a capture, in every frame: the text caret made transparent, in the document and in each open shadow root
# (a blinking caret would be in some captures and not others; Playwright's own screenshot hides it too). An
# adopted style sheet, not a style attribute: no DOM change, so the settle rule never waits for our own capture.
# A glance while the page settles hides the carets and leaves them hidden, so the capture after the settle finds
# nothing to repaint (Chromium repaints the page for a style change, about 10 ms); the reading after that capture
# shows them again, and a timer does if no capture follows (a round that ended during the settle).
CARETS_HIDDEN_AT_MOST_MS = 5_000
SHOW_CARETS_FUNCTION = """
() => {
  clearTimeout(window.__farolCaretTimer);
  const roots = window.__farolCaretRoots;
  delete window.__farolCaretRoots;
  for (const root of roots ?? []) {
    root.adoptedStyleSheets = root.adoptedStyleSheets.filter((sheet) => sheet !== window.__farolCaretSheet);
  }
  return roots !== undefined;
}
"""
HIDE_CARETS_FUNCTION = f"""
async () => {{
  if (!window.__farolCaretSheet) {{
    window.__farolCaretSheet = new CSSStyleSheet();
    window.__farolCaretSheet.replaceSync('* {{ caret-color: transparent !important; }}');
  }}
  const sheet = window.__farolCaretSheet;
  const roots = [document];
  for (let i = 0; i < roots.length; i++) {{
    const walker = document.createTreeWalker(roots[i], NodeFilter.SHOW_ELEMENT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {{
      if (node.shadowRoot) roots.push(node.shadowRoot);
    }}
  }}
  window.__farolCaretRoots = [...new Set([...(window.__farolCaretRoots ?? []), ...roots])];
  for (const root of roots) {{
    if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  }}
  clearTimeout(window.__farolCaretTimer);
  window.__farolCaretTimer = setTimeout({SHOW_CARETS_FUNCTION.strip()}, {CARETS_HIDDEN_AT_MOST_MS});
  await document.fonts.ready;
}}
"""
# The two readings of the top frame around a capture, one round trip each, on both paths (`agent/capture.py`,
# the extension's `TabDriver.observe`): the carets hidden and the page's state read just before; the carets back
# and the state read again just after. A glance reads nothing after: its carets stay hidden.
BEFORE_CAPTURE_EXPRESSION = f"""
(async () => {{
  await ({HIDE_CARETS_FUNCTION.strip()})();
  return ({CAPTURE_STATE_FUNCTION.strip()})();
}})()
"""
AFTER_CAPTURE_EXPRESSION = f"""
(() => ({{same_document: ({SHOW_CARETS_FUNCTION.strip()})(), state: ({CAPTURE_STATE_FUNCTION.strip()})()}}))()
"""


def same_capture_state(before: dict[str, object] | None, after: dict[str, object] | None) -> bool:
    """Whether two readings of CAPTURE_STATE_FUNCTION show one page, fields and all (the title may differ)."""
    if before is None or after is None or before.get("fields") is None:
        return False
    return {**before, "title": None} == {**after, "title": None}


def capture_scan(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any] | None:
    """The page's state for one capture, from the readings before and after it (`BEFORE_CAPTURE_EXPRESSION`,
    `AFTER_CAPTURE_EXPRESSION`): None when the top document is no longer the one read before (it navigated);
    its fields None when the page changed under the capture (its title stands, its field boxes do not). Readings
    of another shape (a page that replaced the DOM's built-ins) count as the page having changed."""
    scan = after.get("state") if isinstance(after, dict) and after.get("same_document") is True else None
    if not isinstance(scan, dict):
        return None
    if not isinstance(before, dict) or not same_capture_state(before, scan):
        return {**scan, "fields": None}
    return scan


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
