/* Progressive enhancement only: pages work without it (reload buttons). Keeps marked parts of a page fresh:
   [data-live-url] is re-fetched when the notification feed says something happened, and every few seconds
   as a fallback; #feed[data-stream] shows new notifications as they arrive. */
(function () {
  "use strict";
  var parts = document.querySelectorAll("[data-live-url]");
  var feed = document.getElementById("feed");
  var busy = false;
  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    var pending = parts.length;
    if (!pending) { busy = false; return; }
    Array.prototype.forEach.call(parts, function (el) {
      fetch(el.getAttribute("data-live-url"), {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null && el.innerHTML.trim() !== html.trim()) { el.innerHTML = html; } })
        .catch(function () {})
        .then(function () { pending -= 1; if (!pending) busy = false; });
    });
  }
  function show(data) {
    if (!feed) return;
    var item;
    try { item = JSON.parse(data); } catch (e) { item = {body: data}; }
    var li = document.createElement("li");
    if (item.title) { var b = document.createElement("strong"); b.textContent = item.title; li.appendChild(b); li.appendChild(document.createElement("br")); }
    li.appendChild(document.createTextNode(item.body || item.text || item.message || ""));
    feed.insertBefore(li, feed.firstChild);
    var empty = document.getElementById("feed-empty");
    if (empty) empty.remove();
  }
  var stream = (feed && feed.getAttribute("data-stream")) || document.body.getAttribute("data-stream");
  if (window.EventSource && stream) {
    var source = new EventSource(stream);
    source.onmessage = function (e) { show(e.data); refresh(); };
    ["notification", "delivery", "order"].forEach(function (kind) {
      source.addEventListener(kind, function (e) { show(e.data); refresh(); });
    });
  }
  if (parts.length) setInterval(refresh, 4000);
})();
