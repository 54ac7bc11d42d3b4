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

ELEMENT_AT_FUNCTION = """
([x, y]) => {
  let el = document.elementFromPoint(x, y);
  while (el && el.shadowRoot) {
    const inner = el.shadowRoot.elementFromPoint(x, y);
    if (!inner || inner === el) break;
    el = inner;
  }
  if (!el) return null;
  let target = el.closest('button, a, input, textarea, select, summary, [role], label') || el;
  if (target.tagName === 'LABEL' && target.control) target = target.control;
  const tag = target.tagName.toLowerCase();
  const type = (target.getAttribute('type') || '').toLowerCase();
  // Never read what a person typed: only button-like inputs expose their value (their label).
  const buttonValue = tag === 'input' && ['submit', 'button'].includes(type) ? target.value : '';
  const text = target.getAttribute('aria-label') || (tag === 'input' || tag === 'textarea' ? '' : target.innerText)
    || buttonValue || target.getAttribute('placeholder') || target.getAttribute('title') || '';
  return {tag, input_type: type, autocomplete: (target.getAttribute('autocomplete') || '').toLowerCase(),
          name: target.getAttribute('name') || '', id: target.id || '', role: target.getAttribute('role') || '',
          text: text.trim().replace(/\\s+/g, ' ').slice(0, 200)};
}
"""


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
