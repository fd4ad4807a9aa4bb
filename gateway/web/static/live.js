/* Progressive enhancement only: pages work without it (reload buttons). Keeps marked parts of a page fresh:
   [data-live-url] is re-fetched when the notification feed says something happened, and every few seconds as
   a fallback (every 4 s without a live feed, every 8 s with one: slow links pay for every byte);
   #feed[data-stream] shows new notifications as they arrive. A part someone is typing in is left alone. */
(function () {
  "use strict";
  var parts = document.querySelectorAll("[data-live-url]");
  var feed = document.getElementById("feed");
  var busy = false, again = false, live = false;
  function typing(el) {
    var active = document.activeElement;
    return active && el.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }
  function refresh() {
    if (document.hidden) return;
    if (busy) { again = true; return; }  // news arrived during a fetch: fetch once more when it ends
    busy = true;
    var pending = parts.length;
    if (!pending) { busy = false; return; }
    Array.prototype.forEach.call(parts, function (el) {
      fetch(el.getAttribute("data-live-url"), {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html !== null && !typing(el) && el.innerHTML.trim() !== html.trim()) { el.innerHTML = html; }
        })
        .catch(function () {})
        .then(function () {
          pending -= 1;
          if (!pending) { busy = false; if (again) { again = false; refresh(); } }
        });
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
    source.onopen = function () { live = true; };
    source.onerror = function () { live = false; };
    source.onmessage = function (e) { show(e.data); refresh(); };
    ["notification", "delivery", "order"].forEach(function (kind) {
      source.addEventListener(kind, function (e) { show(e.data); refresh(); });
    });
  }
  var ticks = 0;
  if (parts.length) setInterval(function () { ticks += 1; if (!live || ticks % 2 === 0) refresh(); }, 4000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
