// Interactive docs for /api/v1/openapi.json: read the merged document, list operations, try them out.
(function () {
  "use strict";
  var ops = document.getElementById("ops");
  var tokenInput = document.getElementById("token");
  tokenInput.value = sessionStorage.getItem("pasar-token") || "";
  tokenInput.addEventListener("change", function () { sessionStorage.setItem("pasar-token", tokenInput.value.trim()); });

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function resolve(spec, schema, depth) {
    if (!schema || depth > 6) return schema || {};
    if (schema.$ref) {
      var parts = schema.$ref.replace("#/", "").split("/");
      var target = spec; parts.forEach(function (p) { target = (target || {})[p]; });
      return resolve(spec, target, depth + 1);
    }
    return schema;
  }

  function example(spec, schema, depth) {
    schema = resolve(spec, schema, depth || 0);
    if ((depth || 0) > 5) return null;
    if (schema.example !== undefined) return schema.example;
    if (schema.enum) return schema.enum[0];
    if (schema.type === "object" || schema.properties) {
      var out = {};
      Object.keys(schema.properties || {}).forEach(function (k) {
        var prop = resolve(spec, schema.properties[k], 0);
        if (!prop.readOnly) out[k] = example(spec, prop, (depth || 0) + 1);
      });
      return out;
    }
    if (schema.type === "array") return [example(spec, schema.items || {}, (depth || 0) + 1)];
    if (schema.type === "integer" || schema.type === "number") return 0;
    if (schema.type === "boolean") return false;
    return "string";
  }

  function operation(spec, path, method, op) {
    var params = (op.parameters || []).map(function (p) { return resolve(spec, p, 0); });
    var inputs = {};
    var form = el("div", { "class": "body" }, [
      el("p", { text: (op.summary || "") + (op.description ? " — " + op.description : "") }),
    ]);
    params.forEach(function (p) {
      var input = el("input", { placeholder: p.name + " (" + p.in + ")" });
      inputs[p.name] = { input: input, where: p.in };
      form.appendChild(el("label", { text: p.name + (p.required ? " *" : "") + " " }, [input]));
      form.appendChild(el("br"));
    });
    var bodySchema = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
    var textarea = null;
    if (bodySchema) {
      textarea = el("textarea");
      textarea.value = JSON.stringify(example(spec, bodySchema.schema), null, 2);
      form.appendChild(textarea);
    }
    var output = el("pre", { text: "" });
    var button = el("button", { type: "button", text: "Send" });
    button.addEventListener("click", function () {
      var url = path, query = [];
      Object.keys(inputs).forEach(function (name) {
        var v = inputs[name].input.value;
        if (inputs[name].where === "path") url = url.replace("{" + name + "}", encodeURIComponent(v));
        else if (inputs[name].where === "query" && v !== "") query.push(encodeURIComponent(name) + "=" + encodeURIComponent(v));
      });
      if (query.length) url += "?" + query.join("&");
      var headers = { "Accept": "application/json" };
      var token = tokenInput.value.trim();
      if (token) headers["Authorization"] = "Bearer " + token;
      var init = { method: method.toUpperCase(), headers: headers };
      if (textarea) { headers["Content-Type"] = "application/json"; init.body = textarea.value; }
      output.textContent = "…";
      fetch(url, init).then(function (resp) {
        return resp.text().then(function (text) {
          var shown = text;
          try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON */ }
          output.textContent = resp.status + " " + resp.statusText + "\nX-Request-ID: " + resp.headers.get("X-Request-ID") + "\n\n" + shown;
        });
      }).catch(function (err) { output.textContent = String(err); });
    });
    form.appendChild(button);
    form.appendChild(output);
    var locked = op.security && op.security.length ? el("span", { "class": "lock", text: " 🔒" }) : null;
    return el("details", { "data-search": (path + " " + (op.tags || []).join(" ")).toLowerCase() }, [
      el("summary", {}, [el("span", { "class": "m " + method.toUpperCase(), text: method.toUpperCase() }),
        document.createTextNode(path), locked]),
      form,
    ]);
  }

  fetch("/api/v1/openapi.json").then(function (r) { return r.json(); }).then(function (spec) {
    document.getElementById("intro").textContent = (spec.info && spec.info.description) || "";
    if (spec["x-unavailable-services"]) {
      ops.appendChild(el("p", { text: "Not shown (service unavailable): " + spec["x-unavailable-services"].join(", ") }));
    }
    var groups = {};
    Object.keys(spec.paths).sort().forEach(function (path) {
      Object.keys(spec.paths[path]).forEach(function (method) {
        if (["get", "post", "put", "patch", "delete"].indexOf(method) < 0) return;
        var op = spec.paths[path][method];
        var tag = (op.tags && op.tags[0]) || path.split("/")[3];
        (groups[tag] = groups[tag] || []).push(operation(spec, path, method, op));
      });
    });
    Object.keys(groups).sort().forEach(function (tag) {
      ops.appendChild(el("h2", { text: tag }));
      groups[tag].forEach(function (node) { ops.appendChild(node); });
    });
  }).catch(function (err) { ops.textContent = "Could not load the API document: " + err; });

  document.getElementById("filter").addEventListener("input", function (e) {
    var q = e.target.value.toLowerCase();
    Array.prototype.forEach.call(ops.querySelectorAll("details"), function (d) {
      d.style.display = d.getAttribute("data-search").indexOf(q) >= 0 ? "" : "none";
    });
  });
})();
