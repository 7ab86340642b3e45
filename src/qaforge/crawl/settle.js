// Installed in every page before its scripts run: counts in-flight fetch/XHR requests and
// remembers the last DOM mutation, so the crawler can wait for a page to settle without sleeps.
(() => {
  if (window.__qaforge) return;
  const q = { inflight: 0, lastMutation: Date.now() };
  window.__qaforge = q;
  const origFetch = window.fetch;
  if (origFetch) {
    window.fetch = function (...args) {
      q.inflight++;
      return origFetch.apply(this, args).finally(() => { q.inflight--; q.lastMutation = Date.now(); });
    };
  }
  const origSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    q.inflight++;
    this.addEventListener("loadend", () => { q.inflight--; q.lastMutation = Date.now(); });
    return origSend.apply(this, args);
  };
  const start = () => {
    new MutationObserver(() => { q.lastMutation = Date.now(); })
      .observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
  };
  if (document.documentElement) start(); else document.addEventListener("DOMContentLoaded", start);
})();
