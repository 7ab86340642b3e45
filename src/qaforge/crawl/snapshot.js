// Snapshot of the visible, interactive structure of the page, evaluated in the page.
// Returns plain JSON: elements (with an approximation of ARIA role and accessible name that
// Playwright then verifies), forms with their fields, headings, landmarks and short texts.
() => {
  const norm = (s) => (s || "").replace(/\s+/g, " ").trim();
  const visible = (el) => {
    if (!(el instanceof Element)) return false;
    if (el.closest("[hidden], [aria-hidden='true']")) return false;
    const dialog = el.closest("dialog");
    if (dialog && !dialog.open) return false;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const textOf = (el) => norm(el.innerText !== undefined ? el.innerText : el.textContent);
  // A text a test can find with get_by_text, which reads textContent: innerText breaks lines
  // between block children ("State:" / "Active" in two flex items reads "State: Active") and
  // applies text-transform, so where the two differ the text is not offered for assertions.
  const findableText = (el) => {
    const t = textOf(el);
    return t === norm(el.textContent) ? t : "";
  };
  const labelFor = (el) => {
    if (el.labels && el.labels.length) return norm(Array.from(el.labels).map((l) => l.innerText).join(" "));
    return "";
  };
  const byIds = (ids) => norm(ids.split(/\s+/).map((id) => {
    const t = document.getElementById(id); return t ? t.textContent : "";
  }).join(" "));
  const roleOf = (el) => {
    const explicit = el.getAttribute("role");
    if (explicit) return explicit.split(/\s+/)[0];
    const tag = el.tagName.toLowerCase();
    const type = (el.getAttribute("type") || "").toLowerCase();
    if (tag === "a") return el.hasAttribute("href") ? "link" : "";
    if (tag === "button" || tag === "summary") return "button";
    if (tag === "select") return el.multiple || el.size > 1 ? "listbox" : "combobox";
    if (tag === "textarea") return "textbox";
    if (/^h[1-6]$/.test(tag)) return "heading";
    if (tag === "dialog") return "dialog";
    if (tag === "input") {
      if (["button", "submit", "reset", "image"].includes(type)) return "button";
      if (type === "checkbox") return "checkbox";
      if (type === "radio") return "radio";
      if (type === "number") return "spinbutton";
      if (type === "range") return "slider";
      if (type === "search") return el.getAttribute("list") ? "combobox" : "searchbox";
      if (["", "text", "email", "tel", "url", "password"].includes(type)) return el.getAttribute("list") ? "combobox" : "textbox";
      return "";
    }
    return "";
  };
  const nameOf = (el, role) => {
    const lb = el.getAttribute("aria-labelledby");
    if (lb) { const n = byIds(lb); if (n) return n; }
    const al = norm(el.getAttribute("aria-label"));
    if (al) return al;
    const tag = el.tagName.toLowerCase();
    if (["input", "select", "textarea"].includes(tag)) {
      const type = (el.getAttribute("type") || "").toLowerCase();
      if (["submit", "button", "reset"].includes(type)) return norm(el.value || (type === "submit" ? "Submit" : ""));
      const l = labelFor(el); if (l) return l;
      return norm(el.getAttribute("title") || el.getAttribute("placeholder"));
    }
    if (["link", "button", "tab", "heading", "menuitem", "option", "checkbox", "radio", "switch", "listitem"].includes(role) || tag === "summary") {
      const t = textOf(el);
      if (t) return t;
      const img = el.querySelector("img[alt]"); if (img) return norm(img.getAttribute("alt"));
    }
    return norm(el.getAttribute("title"));
  };
  const ATTRS = ["id", "name", "data-testid", "data-test", "data-qa", "type", "href", "placeholder", "value", "for", "aria-label", "aria-controls", "aria-selected", "aria-expanded", "aria-haspopup", "rel", "action", "method", "target"];
  const attrsOf = (el) => {
    const out = {};
    for (const a of ATTRS) {
      if (el.hasAttribute(a)) {
        let v = el.getAttribute(a) || "";
        if (a === "value" && !["submit", "button", "radio", "checkbox", "hidden"].includes((el.getAttribute("type") || "").toLowerCase())) continue;
        out[a] = v.slice(0, 200);
      }
    }
    // A link a script takes over (Django's "add another" opens a popup window): clicking it
    // does not go where its href says.
    if (el.tagName === "A" && (el.hasAttribute("onclick") || el.hasAttribute("data-popup") || /[?&]_?popup=/i.test(el.getAttribute("href") || ""))) {
      out["data-qaforge-scripted"] = "1";
    }
    return out;
  };
  const W = Math.max(document.documentElement.scrollWidth, 1);
  const H = Math.max(document.documentElement.scrollHeight, 1);
  const openDialog = Array.from(document.querySelectorAll("dialog[open], [role=dialog], [aria-modal=true]")).find(visible) || null;
  const SEL = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=tab], [role=link], [role=menuitem], [role=checkbox], [role=radio], [role=switch], h1, h2, h3, h4, h5, h6, [role=heading], dialog[open]";
  // Caps keep a page of thousands of links cheap: every control and heading up to a limit,
  // links up to a limit and only a few per URL shape (`/item/1`, `/item/2`, ... fold).
  const MAX_CONTROLS = 300, MAX_LINKS = 300, PER_SHAPE = 20;
  const nodes = [];
  const perShape = {};
  let nControls = 0, nLinks = 0;
  for (const el of document.querySelectorAll(SEL)) {
    const isLink = el.tagName === "A";
    if (isLink ? nLinks >= MAX_LINKS : nControls >= MAX_CONTROLS) continue;
    if (!visible(el)) continue;
    if (isLink) {
      const shape = (el.getAttribute("href") || "").replace(/\d+/g, "#");
      perShape[shape] = (perShape[shape] || 0) + 1;
      if (perShape[shape] > PER_SHAPE) continue;
      nLinks++;
    } else {
      nControls++;
    }
    nodes.push(el);
  }
  const formsEls = Array.from(document.querySelectorAll("form"));
  const roleIndex = {};
  // Where a control sits: its landmark and its place among the same role there, so the same
  // control can be recognised across states even when its name changes.
  const LANDMARKS = "header, nav, main, footer, aside, [role=banner], [role=navigation], [role=main], [role=contentinfo], [role=search], [role=complementary]";
  const perLandmark = new Map();
  const landmarkOf = (el, role) => {
    const lm = el.parentElement ? el.parentElement.closest(LANDMARKS) : null;
    const kind = lm ? (lm.getAttribute("role") || lm.tagName.toLowerCase()) : "body";
    const counts = perLandmark.get(lm) || {};
    counts[role] = (counts[role] || 0) + 1;
    perLandmark.set(lm, counts);
    return `${kind}:${counts[role] - 1}`;
  };
  const elements = nodes.map((el, i) => {
    const role = roleOf(el);
    const name = nameOf(el, role);
    const r = el.getBoundingClientRect();
    roleIndex[role] = (roleIndex[role] || 0) + 1;
    el.setAttribute("data-qaforge-idx", String(i));
    const form = el.closest("form");
    return {
      idx: i,
      tag: el.tagName.toLowerCase(),
      role,
      name: name.slice(0, 200),
      text: textOf(el).slice(0, 200),
      attributes: attrsOf(el),
      label: ["input", "select", "textarea"].includes(el.tagName.toLowerCase()) ? labelFor(el).slice(0, 200) : "",
      x: (r.left + window.scrollX) / W,
      y: (r.top + window.scrollY) / H,
      index: roleIndex[role] - 1,
      form: form ? formsEls.indexOf(form) : -1,
      inDialog: openDialog ? openDialog.contains(el) : false,
      landmark: landmarkOf(el, role),
      disabled: el.disabled === true || el.getAttribute("aria-disabled") === "true",
    };
  });
  const forms = formsEls.filter(visible).map((f) => {
    const fi = formsEls.indexOf(f);
    const fields = [];
    const seenRadio = new Set();
    for (const el of Array.from(f.elements)) {
      const tag = el.tagName.toLowerCase();
      const type = (el.getAttribute("type") || (tag === "select" ? "select" : tag === "textarea" ? "textarea" : "text")).toLowerCase();
      if (!el.name || ["submit", "button", "reset", "image"].includes(type) || tag === "button" || tag === "fieldset") continue;
      if (type === "radio") {
        if (seenRadio.has(el.name)) continue;
        seenRadio.add(el.name);
        const group = Array.from(f.querySelectorAll("input[type=radio]")).filter((r) => r.name === el.name);
        const legend = el.closest("fieldset") && el.closest("fieldset").querySelector("legend");
        fields.push({ name: el.name, type, tag, label: legend ? norm(legend.textContent) : labelFor(el), required: group.some((r) => r.required), options: group.map((r) => r.value), idx: el.getAttribute("data-qaforge-idx"), hidden: false });
        continue;
      }
      fields.push({
        name: el.name, type, tag,
        label: labelFor(el) || norm(el.getAttribute("aria-label")),
        required: !!el.required,
        pattern: el.getAttribute("pattern"),
        min: el.getAttribute("min"), max: el.getAttribute("max"),
        minlength: el.hasAttribute("minlength") ? Number(el.getAttribute("minlength")) : null,
        maxlength: el.hasAttribute("maxlength") ? Number(el.getAttribute("maxlength")) : null,
        step: el.getAttribute("step"),
        placeholder: el.getAttribute("placeholder") || "",
        options: tag === "select" ? Array.from(el.options).map((o) => o.value) : [],
        value: type === "checkbox" ? (el.value || "on") : (type === "hidden" ? el.value : ""),
        idx: el.getAttribute("data-qaforge-idx"),
        hidden: type === "hidden",
      });
    }
    const submit = f.querySelector("button[type=submit], input[type=submit], button:not([type])");
    return {
      index: fi,
      action: f.getAttribute("action") || "",
      method: (f.getAttribute("method") || "get").toLowerCase(),
      novalidate: f.noValidate,
      role: f.getAttribute("role") || "",
      label: norm(f.getAttribute("aria-label")),
      fields,
      submitIdx: submit ? submit.getAttribute("data-qaforge-idx") : null,
    };
  });
  const headings = elements.filter((e) => e.role === "heading").map((e) => e.name).filter(Boolean);
  const landmarks = Array.from(document.querySelectorAll("header, nav, main, footer, aside, [role=banner], [role=navigation], [role=main], [role=contentinfo], [role=search], [role=complementary]"))
    .filter(visible).map((el) => {
      const tag = el.tagName.toLowerCase();
      const role = el.getAttribute("role") || { header: "banner", nav: "navigation", main: "main", footer: "contentinfo", aside: "complementary" }[tag] || tag;
      const label = norm(el.getAttribute("aria-label"));
      return label ? `${role}:${label}` : role;
    });
  const texts = [];
  const seen = new Set();
  for (const el of document.querySelectorAll("h1, h2, h3, h4, h5, h6, p, li, label, legend, th, td, button, a, [role=alert], [role=status], dt, dd, caption, summary")) {
    if (texts.length >= 300) break;
    if (!visible(el)) continue;
    const t = findableText(el);
    if (!t || t.length > 120 || seen.has(t)) continue;
    seen.add(t);
    texts.push(t);
  }
  const listItems = document.querySelectorAll("li, tr, [role=listitem], [role=row]").length;
  const visibleListItems = Array.from(document.querySelectorAll("[role=list] > *, ul[aria-label] > li")).filter(visible).length;
  // The first rows of the page's data: the table (or grid) outside navigation with the most
  // rows, as cell texts. What a search for a listed item can look for.
  let rows = [];
  let rowsFrom = "";
  // How many data rows that table shows in all (the lists oracle asserts at least as many).
  let rowCount = 0;
  for (const table of document.querySelectorAll("table, [role=grid], [role=table]")) {
    if (table.closest("nav, aside, header, footer, [role=navigation], [role=banner]") || !visible(table)) continue;
    const found = [];
    let count = 0;
    for (const tr of table.querySelectorAll("tr, [role=row]")) {
      if (count >= 500) break;
      if (!tr.querySelector("td, [role=cell], [role=gridcell]") || !visible(tr)) continue;
      count += 1;
      if (found.length >= 20) continue;
      const cells = Array.from(tr.querySelectorAll("td, th, [role=cell], [role=gridcell], [role=rowheader]"))
        .filter(visible).map((c) => findableText(c)).filter((t) => t && t.length <= 80);
      if (cells.length) found.push(cells.slice(0, 8));
    }
    if (found.length > rows.length) { rows = found; rowsFrom = "table"; rowCount = count; }
  }
  if (!rows.length) {
    // No table: the list of linked items (cards, search results) outside navigation.
    for (const list of document.querySelectorAll("ul, ol, [role=list]")) {
      if (list.closest("nav, aside, header, footer, [role=navigation], [role=banner], [role=menu]") || !visible(list)) continue;
      const found = [];
      for (const li of list.children) {
        if (found.length >= 20) break;
        if (!visible(li)) continue;
        const cells = Array.from(li.querySelectorAll("a, h2, h3, h4")).filter(visible)
          .map((c) => findableText(c)).filter((t) => t && t.length <= 80);
        if (cells.length) found.push(cells.slice(0, 3));
      }
      if (found.length >= 2 && found.length > rows.length) { rows = found; rowsFrom = "list"; }
    }
  }
  const invalid = Array.from(document.querySelectorAll("form :invalid, [aria-invalid=true]")).slice(0, 100).map((e) => e.name || e.id).filter(Boolean);
  return {
    url: location.href,
    title: document.title,
    elements,
    forms,
    headings,
    landmarks,
    texts: texts.slice(0, 300),
    listItems,
    visibleListItems,
    dialogOpen: !!openDialog,
    invalid,
    rows,
    rowsFrom,
    rowCount,
    textHash: norm(document.body ? document.body.innerText : "").length,
  };
}
