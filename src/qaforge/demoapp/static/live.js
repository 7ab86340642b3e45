// The live catalogue: rendered in the browser from /api/products; tabs, a dialog and
// "Load more" change the DOM without changing the URL.
(function () {
  "use strict";
  var bugs = window.SHOP_BUGS || {};
  var list = document.getElementById("product-list");
  var more = document.getElementById("load-more");
  var nextPage = 1;

  function render(items) {
    if (bugs.brokenRender) { throw new Error("render failed: products is undefined"); }
    items.forEach(function (p) {
      var li = document.createElement("li");
      li.className = "product";
      var name = document.createElement("span");
      name.textContent = p.name;
      var price = document.createElement("span");
      price.className = "price";
      price.textContent = " " + p.price;
      li.appendChild(name);
      li.appendChild(price);
      list.appendChild(li);
    });
  }

  function load() {
    if (nextPage === null) { return Promise.resolve(); }
    return fetch("/api/products?page=" + nextPage)
      .then(function (r) { return r.json(); })
      .then(function (data) {
        render(data.items);
        nextPage = data.next_page;
        if (nextPage === null) { more.hidden = true; }
      });
  }

  more.addEventListener("click", function () {
    if (bugs.loadMoreBroken) { return; }
    load();
  });

  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));
  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () {
      tabs.forEach(function (t) {
        var selected = t === tab;
        t.setAttribute("aria-selected", selected ? "true" : "false");
        document.getElementById(t.getAttribute("aria-controls")).hidden = !selected;
      });
    });
  });

  var dialog = document.getElementById("details-dialog");
  document.getElementById("open-details").addEventListener("click", function () {
    if (bugs.dialogBroken) { return; }
    dialog.showModal();
  });
  document.getElementById("close-details").addEventListener("click", function () {
    dialog.close();
  });

  load();
})();
