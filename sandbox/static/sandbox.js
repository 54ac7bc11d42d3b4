// The sandbox sites' widgets: dropdowns, custom selects, auto-suggest, date pickers, steppers, tabs,
// modals, popovers, galleries. Plain DOM, no framework; every request goes to this origin.
(() => {
  "use strict";
  const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December"];
  const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const CHEVRON = (d) => `<svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" stroke-width="2.2"><path d="${d}"/></svg>`;
  const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const pad = (n) => String(n).padStart(2, "0");
  const iso = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const parseIso = (s) => { const [y, m, d] = s.split("-").map(Number); return new Date(y, m - 1, d); };
  const shortDate = (d) => `${DAYS[d.getDay()]}, ${MONTHS[d.getMonth()].slice(0, 3)} ${d.getDate()}`;

  // -- date pickers: a button showing the date, a hidden ISO input, a month grid on demand ----------
  function closePickers(except) {
    $$(".datefield .datepicker").forEach((pop) => { if (pop.parentElement !== except) pop.remove(); });
  }
  function renderPicker(field) {
    let pop = field.querySelector(".datepicker");
    if (!pop) {
      pop = document.createElement("div");
      pop.className = "datepicker";
      pop.setAttribute("role", "dialog");
      field.appendChild(pop);
    }
    const [year, month] = field.dataset.month.split("-").map(Number);
    const min = parseIso(field.dataset.min);
    const selected = field.querySelector("input[type=hidden]").value;
    const atMin = year * 12 + month - 1 <= min.getFullYear() * 12 + min.getMonth();
    let html = `<div class="dp-head"><button type="button" class="dp-nav dp-prev" aria-label="Previous month"${atMin ? " disabled" : ""}>${CHEVRON("M15 6l-6 6 6 6")}</button>`;
    html += `<span class="dp-month">${MONTHS[month - 1]} ${year}</span>`;
    html += `<button type="button" class="dp-nav dp-next" aria-label="Next month">${CHEVRON("M9 6l6 6-6 6")}</button></div><div class="dp-grid">`;
    html += ["Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"].map((d) => `<span class="dp-dow">${d}</span>`).join("");
    const first = new Date(year, month - 1, 1);
    html += "<span></span>".repeat(first.getDay());
    for (let day = 1; day <= new Date(year, month, 0).getDate(); day++) {
      const date = new Date(year, month - 1, day);
      const value = iso(date);
      html += `<button type="button" class="dp-day${value === selected ? " selected" : ""}" data-date="${value}"${date < min ? " disabled" : ""}>${day}</button>`;
    }
    pop.innerHTML = html + "</div>";
    pop.dataset.month = field.dataset.month;
  }
  function openPicker(field) {
    closePickers(field);
    const value = field.querySelector("input[type=hidden]").value;
    const base = value ? parseIso(value) : parseIso(field.dataset.min);
    field.dataset.month = `${base.getFullYear()}-${pad(base.getMonth() + 1)}`;
    renderPicker(field);
  }
  function setDate(field, value) {
    const input = field.querySelector("input[type=hidden]");
    input.value = value;
    const label = field.querySelector(".datefield-value");
    label.textContent = value ? shortDate(parseIso(value)) : label.dataset.placeholder;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
  function pickDate(field, value) {
    setDate(field, value);
    closePickers();
    const next = field.dataset.then && document.querySelector(field.dataset.then);
    if (next) {
      const after = parseIso(value);
      after.setDate(after.getDate() + 1);
      next.dataset.min = iso(after);
      const current = next.querySelector("input[type=hidden]").value;
      if (!current || current < iso(after)) setDate(next, iso(after));
      openPicker(next);
    }
  }

  // -- auto-suggest: fetch matches as the person types; a match either navigates or fills the field --
  async function suggest(box, input) {
    const list = box.querySelector(".suggest-list");
    const hidden = box.querySelector("input[type=hidden]");
    if (hidden) hidden.value = "";
    const query = input.value.trim();
    const token = (box.suggestToken = (box.suggestToken || 0) + 1);
    if (query.length < 2) { list.classList.remove("open"); list.innerHTML = ""; return; }
    const url = box.dataset.suggest + (box.dataset.suggest.includes("?") ? "&" : "?") + "q=" + encodeURIComponent(query);
    const items = await (await fetch(url)).json();
    if (token !== box.suggestToken) return;
    list.innerHTML = items.map((item) => `<li role="option" data-value="${esc(item.value || "")}" data-label="${esc(item.label)}"`
      + (item.href ? ` data-href="${esc(item.href)}"` : "") + `><span>${esc(item.label)}</span>`
      + (item.hint ? `<span class="hint">${esc(item.hint)}</span>` : "") + "</li>").join("");
    list.classList.toggle("open", items.length > 0);
  }
  function chooseSuggestion(li) {
    const box = li.closest(".suggest");
    if (li.dataset.href) { window.location.href = li.dataset.href; return; }
    box.querySelector("input:not([type=hidden])").value = li.dataset.label;
    const hidden = box.querySelector("input[type=hidden]");
    if (hidden) hidden.value = li.dataset.value;
    li.parentElement.classList.remove("open");
  }

  // -- popovers (e.g. travellers): a toggle, a panel, and a summary line kept up to date ------------
  function summarize(popover) {
    const template = popover.dataset.summary;
    const target = popover.closest(".popover-wrap")?.querySelector(".popover-summary");
    if (!template || !target) return;
    target.textContent = template.replace(/\{(\w+)(?:\|([^|}]*)\|([^}]*))?\}/g, (_, name, one, many) => {
      const input = popover.querySelector(`[name="${name}"]`);
      const value = input ? input.dataset.label || input.value : "";
      return one === undefined ? value : Number(value) === 1 ? one : many;
    });
  }

  document.addEventListener("click", (event) => {
    const target = event.target;
    // Date pickers first: their contents are re-rendered, so a clicked element may be detached afterwards.
    const nav = target.closest(".dp-nav");
    if (nav) {
      const field = nav.closest(".datefield");
      const [year, month] = field.dataset.month.split("-").map(Number);
      const shifted = new Date(year, month - 1 + (nav.classList.contains("dp-next") ? 1 : -1), 1);
      field.dataset.month = `${shifted.getFullYear()}-${pad(shifted.getMonth() + 1)}`;
      renderPicker(field);
      return;
    }
    const day = target.closest(".dp-day");
    if (day && !day.disabled) { pickDate(day.closest(".datefield"), day.dataset.date); return; }
    const dateButton = target.closest(".datefield-button");
    if (dateButton) {
      const field = dateButton.closest(".datefield");
      if (field.querySelector(".datepicker")) closePickers(); else openPicker(field);
      return;
    }
    if (!target.closest(".datepicker")) closePickers();

    const suggestion = target.closest(".suggest-list li");
    if (suggestion) { chooseSuggestion(suggestion); return; }
    $$(".suggest-list.open").forEach((list) => { if (!list.parentElement.contains(target)) list.classList.remove("open"); });

    // Custom selects: a dropdown whose items set a hidden input.
    const option = target.closest("[data-select] .dropdown-item");
    if (option) {
      const select = option.closest("[data-select]");
      const input = select.querySelector("input[type=hidden]");
      input.value = option.dataset.value;
      input.dataset.label = option.textContent.trim();
      select.querySelector(".select-value").textContent = option.textContent.trim();
      $$(".dropdown-item", select).forEach((item) => item.classList.toggle("on", item === option));
      select.classList.remove("open");
      input.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    const toggle = target.closest("[data-dropdown-toggle]");
    $$(".dropdown.open").forEach((menu) => { if (!toggle || menu !== toggle.closest(".dropdown")) menu.classList.remove("open"); });
    if (toggle) { toggle.closest(".dropdown").classList.toggle("open"); return; }

    const step = target.closest(".step-btn");
    if (step) {
      const stepper = step.closest(".stepper");
      const input = stepper.querySelector("input");
      const value = Math.min(Number(stepper.dataset.max), Math.max(Number(stepper.dataset.min), Number(input.value) + Number(step.dataset.step)));
      input.value = value;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }

    const popToggle = target.closest("[data-popover-toggle]");
    const popClose = target.closest("[data-popover-close]");
    $$(".popover.open").forEach((pop) => {
      if (popClose?.closest(".popover") === pop || (!pop.closest(".popover-wrap").contains(target))) pop.classList.remove("open");
    });
    if (popToggle) { popToggle.closest(".popover-wrap").querySelector(".popover").classList.toggle("open"); return; }

    const tab = target.closest(".tab[data-tab]");
    if (tab) {
      $$(".tab[data-tab]").forEach((t) => t.classList.toggle("active", t === tab));
      $$(".tab-panel").forEach((panel) => panel.classList.toggle("active", panel.dataset.panel === tab.dataset.tab));
      return;
    }

    const opener = target.closest("[data-modal-open]");
    if (opener) { document.querySelector(opener.dataset.modalOpen).classList.add("open"); return; }
    if (target.closest("[data-modal-close]") || target.classList.contains("modal-backdrop")) {
      target.closest(".modal-backdrop")?.classList.remove("open");
      return;
    }

    const choice = target.closest("[data-choice] [data-value]");
    if (choice) {
      const group = choice.closest("[data-choice]");
      group.querySelector("input[type=hidden]").value = choice.dataset.value;
      $$("[data-value]", group).forEach((b) => b.classList.toggle("on", b === choice));
      const shown = document.querySelector(`[data-choice-label="${group.dataset.choice}"]`);
      if (shown) shown.textContent = choice.dataset.value;
      return;
    }

    const mode = target.closest(".trip-tab[data-mode]");
    if (mode) {
      const form = mode.closest("form");
      form.querySelector("input[name=mode]").value = mode.dataset.mode;
      $$(".trip-tab[data-mode]", form).forEach((b) => {
        b.classList.toggle("active", b === mode);
        b.setAttribute("aria-selected", String(b === mode));
      });
      return;
    }

    const trip = target.closest("[data-trip]");
    if (trip) {
      const form = trip.closest("form");
      form.querySelector("input[name=trip]").value = trip.dataset.trip;
      $$("[data-trip]", form).forEach((b) => b.classList.toggle("active", b === trip));
      $$(".return-only", form).forEach((el) => el.classList.toggle("hidden", trip.dataset.trip !== "round"));
      return;
    }

    const galleryButton = target.closest(".gallery-nav");
    if (galleryButton) {
      const gallery = galleryButton.closest(".gallery");
      const images = JSON.parse(gallery.dataset.images);
      const index = (Number(gallery.dataset.index || 0) + (galleryButton.classList.contains("next") ? 1 : images.length - 1)) % images.length;
      gallery.dataset.index = index;
      gallery.querySelector("img").src = images[index];
      gallery.querySelector(".gallery-count").textContent = `${index + 1} / ${images.length}`;
    }
  });

  document.addEventListener("input", (event) => {
    const box = event.target.closest(".suggest");
    if (box && event.target.type !== "hidden") suggest(box, event.target);
  });

  document.addEventListener("change", (event) => {
    const radio = event.target;
    if (radio.type === "radio" && radio.name) {
      $$(`input[type=radio][name="${radio.name}"][data-reveal]`).forEach((r) => {
        const section = r.dataset.reveal && document.querySelector(r.dataset.reveal);
        if (section) section.classList.toggle("hidden", !r.checked);
      });
    }
    const popover = radio.closest(".popover");
    if (popover) summarize(popover);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    closePickers();
    $$(".modal-backdrop.open, .popover.open, .dropdown.open, .suggest-list.open").forEach((el) => el.classList.remove("open"));
  });
})();
