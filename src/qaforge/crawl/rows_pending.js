// A table or grid with column headers and no data row yet: its rows are still on their way (a
// data grid that fills itself seconds after the page went quiet, as MLflow's runs grid does).
() => {
  const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  for (const t of document.querySelectorAll("table, [role=grid], [role=table], [role=treegrid]")) {
    if (t.closest("nav, aside, header, footer, [role=navigation], [role=banner]") || !shown(t)) continue;
    if (!t.querySelector("th, [role=columnheader]")) continue;
    const data = Array.from(t.querySelectorAll("tr, [role=row]"))
      .some((r) => shown(r) && r.querySelector("td, [role=cell], [role=gridcell]"));
    if (!data) return true;
  }
  return false;
}
