/* The no-code signal builder of the playbook admin.
   Renders the JSON tree of the signal field as AND/OR groups of conditions (metric, operator,
   value), writes every change back into the field, and asks the server how many accounts match
   now. The server validates again on save: this script only helps to build valid data. */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  var NUMERIC = ["number", "money", "percent", "rank", "age"];
  var MAX_DEPTH = 4;

  function Builder(root) {
    this.root = root;
    this.textarea = document.getElementById(root.getAttribute("data-textarea"));
    this.treeBox = root.querySelector("[data-sb-tree]");
    this.registry = JSON.parse(document.getElementById("signal-registry").textContent);
    this.metrics = {};
    var self = this;
    this.registry.forEach(function (m) { self.metrics[m.key] = m; });
    this.tree = this.parse(this.textarea.value);
    this.timer = null;
    this.textarea.addEventListener("input", function () {
      var parsed = self.parse(self.textarea.value, true);
      if (parsed) { self.tree = parsed; self.render(false); self.schedulePreview(); }
    });
    root.querySelector("[data-sb-check]").addEventListener("click", function () { self.preview(); });
    this.render(false);
    this.preview();
  }

  Builder.prototype.parse = function (text, strict) {
    var value;
    try { value = text && text.trim() ? JSON.parse(text) : {}; } catch (e) { return strict ? null : { match: "all", conditions: [] }; }
    if (!value || typeof value !== "object") return strict ? null : { match: "all", conditions: [] };
    if (value.metric) value = { match: "all", conditions: [value] };
    if (!value.conditions) value = { match: value.match || "all", conditions: [] };
    return value;
  };

  Builder.prototype.changed = function () {
    this.textarea.value = JSON.stringify(this.tree, null, 2);
    this.render(true);
    this.schedulePreview();
  };

  Builder.prototype.schedulePreview = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.preview(); }, 450);
  };

  Builder.prototype.preview = function () {
    var root = this.root, url = window.SIGNAL_PREVIEW_URL;
    var count = root.querySelector("[data-sb-count]"), errors = root.querySelector("[data-sb-errors]");
    var sample = root.querySelector("[data-sb-sample]"), text = root.querySelector("[data-sb-text]");
    if (!url) return;
    count.textContent = "Counting…";
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ signal: this.parse(this.textarea.value) })
    }).then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
      .then(function (result) {
        var ok = result[0], data = result[1];
        errors.innerHTML = ""; sample.textContent = ""; text.textContent = "";
        if (!ok) {
          count.textContent = "Not valid yet";
          count.className = "sb-count sb-invalid";
          (data.errors || []).forEach(function (message) { errors.appendChild(el("li", { text: message })); });
          return;
        }
        count.className = "sb-count";
        count.textContent = data.count.toLocaleString() + " account" + (data.count === 1 ? "" : "s") + " match now";
        count.setAttribute("title", "of " + data.total.toLocaleString() + " companies");
        text.textContent = data.text;
        if (data.sample.length) sample.textContent = "Most valuable: " + data.sample.join(" · ") + (data.count > data.sample.length ? " …" : "");
      }).catch(function () { count.textContent = "Could not count the matches."; });
  };

  Builder.prototype.render = function (keepFocus) {
    var active = keepFocus ? document.activeElement : null;
    var activePath = active && active.getAttribute("data-path");
    this.treeBox.innerHTML = "";
    this.treeBox.appendChild(this.group(this.tree, null, 1, ""));
    if (activePath) {
      var again = this.treeBox.querySelector('[data-path="' + activePath + '"]');
      if (again) again.focus();
    }
  };

  Builder.prototype.group = function (node, parent, depth, path) {
    var self = this;
    var box = el("div", { className: "sb-group" + (depth > 1 ? " sb-nested" : "") });
    var match = el("select", { "aria-label": "Combine the conditions with", "data-path": path + "m" }, [
      el("option", { value: "all", text: "All of these (AND)" }),
      el("option", { value: "any", text: "Any of these (OR)" })
    ]);
    match.value = node.match || "all";
    match.addEventListener("change", function () { node.match = match.value; self.changed(); });
    var head = el("div", { className: "sb-group-head" }, [el("span", { text: depth > 1 ? "Group: " : "Match " }), match]);
    if (parent) {
      var remove = el("button", { type: "button", className: "sb-remove", text: "Remove group", "aria-label": "Remove this group" });
      remove.addEventListener("click", function () { parent.conditions.splice(parent.conditions.indexOf(node), 1); self.changed(); });
      head.appendChild(remove);
    }
    box.appendChild(head);
    var list = el("div", { className: "sb-children" });
    (node.conditions || []).forEach(function (child, index) {
      var childPath = path + index + ".";
      list.appendChild(child.conditions ? self.group(child, node, depth + 1, childPath) : self.condition(child, node, childPath));
    });
    if (!(node.conditions || []).length) list.appendChild(el("p", { className: "sb-empty", text: "No conditions yet." }));
    box.appendChild(list);
    var addCondition = el("button", { type: "button", className: "button sb-add", text: "+ Condition" });
    addCondition.addEventListener("click", function () {
      node.conditions = node.conditions || [];
      node.conditions.push({ metric: "workspace_count", operator: "gte", value: 2 });
      self.changed();
    });
    var actions = el("div", { className: "sb-actions" }, [addCondition]);
    if (depth < MAX_DEPTH) {
      var addGroup = el("button", { type: "button", className: "button sb-add", text: "+ Group" });
      addGroup.addEventListener("click", function () {
        node.conditions = node.conditions || [];
        node.conditions.push({ match: "any", conditions: [{ metric: "tier", operator: "eq", value: "enterprise" }] });
        self.changed();
      });
      actions.appendChild(addGroup);
    }
    box.appendChild(actions);
    return box;
  };

  Builder.prototype.defaultValue = function (metric, op) {
    if (op === "above_average") return undefined;
    if (op === "above_percentile") return 90;
    if (op === "within_days") return 30;
    var first = metric.choices.length ? metric.choices[0][0] : null;
    var scalar = NUMERIC.indexOf(metric.type) >= 0 ? 0 : (metric.type === "user" || metric.type === "team") ? (first ? parseInt(first, 10) : null) : (first !== null ? first : "");
    if (op === "between") return [scalar, scalar];
    if (op === "in") return first !== null ? [metric.type === "user" || metric.type === "team" ? parseInt(first, 10) : first] : [];
    return scalar;
  };

  Builder.prototype.cast = function (metric, raw) {
    if (NUMERIC.indexOf(metric.type) >= 0) { var n = parseFloat(raw); return isNaN(n) ? raw : n; }
    if (metric.type === "user" || metric.type === "team") { var i = parseInt(raw, 10); return isNaN(i) ? raw : i; }
    return raw;
  };

  Builder.prototype.condition = function (node, parent, path) {
    var self = this;
    var metric = this.metrics[node.metric];
    var row = el("div", { className: "sb-condition" });
    var metricSelect = el("select", { "aria-label": "Metric", "data-path": path + "metric" });
    var areas = {};
    this.registry.forEach(function (m) {
      if (!areas[m.area]) { areas[m.area] = el("optgroup", { label: m.area }); metricSelect.appendChild(areas[m.area]); }
      var option = el("option", { value: m.key, text: m.label + (m.available ? "" : " (not available)") });
      if (!m.available) option.disabled = true;
      areas[m.area].appendChild(option);
    });
    if (!metric) metricSelect.appendChild(el("option", { value: node.metric, text: "Unknown: " + node.metric }));
    metricSelect.value = node.metric;
    metricSelect.addEventListener("change", function () {
      var next = self.metrics[metricSelect.value];
      node.metric = next.key;
      if (!next.operators.some(function (o) { return o.key === node.operator; })) node.operator = next.operators[0].key;
      node.value = self.defaultValue(next, node.operator);
      if (next.params.length) { node.params = {}; next.params.forEach(function (p) { node.params[p.key] = p.default; }); }
      else delete node.params;
      if (node.value === undefined) delete node.value;
      self.changed();
    });
    row.appendChild(metricSelect);
    if (!metric) return row;
    if (metric.help) metricSelect.setAttribute("title", metric.help);

    metric.params.forEach(function (p) {
      var input = el("input", { type: "number", min: p.min, max: p.max, className: "sb-param", "aria-label": p.label, "data-path": path + "p" + p.key });
      input.value = (node.params && node.params[p.key] !== undefined) ? node.params[p.key] : p.default;
      input.addEventListener("change", function () { node.params = node.params || {}; node.params[p.key] = parseInt(input.value, 10); self.changed(); });
      row.appendChild(el("label", { className: "sb-param-label" }, [document.createTextNode(p.label + " "), input]));
    });

    var opSelect = el("select", { "aria-label": "Operator", "data-path": path + "op" });
    metric.operators.forEach(function (o) { opSelect.appendChild(el("option", { value: o.key, text: o.label })); });
    opSelect.value = node.operator;
    opSelect.addEventListener("change", function () {
      node.operator = opSelect.value;
      node.value = self.defaultValue(metric, node.operator);
      if (node.value === undefined) delete node.value;
      self.changed();
    });
    row.appendChild(opSelect);

    var op = node.operator;
    var valueInput = function (value, onChange, label, key) {
      var input;
      if (metric.choices.length && op !== "above_percentile" && op !== "within_days") {
        input = el("select", { "aria-label": label, "data-path": path + key });
        metric.choices.forEach(function (c) { input.appendChild(el("option", { value: c[0], text: c[1] || "(none)" })); });
        input.value = value === null || value === undefined ? "" : String(value);
      } else {
        var numeric = NUMERIC.indexOf(metric.type) >= 0 || op === "above_percentile" || op === "within_days";
        input = el("input", { type: numeric ? "number" : "text", step: "any", "aria-label": label, className: "sb-value", "data-path": path + key });
        input.value = value === null || value === undefined ? "" : value;
      }
      input.addEventListener("change", function () { onChange(input.value); self.changed(); });
      return input;
    };
    if (op === "between") {
      var pair = Array.isArray(node.value) ? node.value : [0, 0];
      row.appendChild(valueInput(pair[0], function (v) { pair[0] = self.cast(metric, v); node.value = pair; }, "Low", "v0"));
      row.appendChild(el("span", { text: "and" }));
      row.appendChild(valueInput(pair[1], function (v) { pair[1] = self.cast(metric, v); node.value = pair; }, "High", "v1"));
    } else if (op === "in") {
      if (metric.choices.length) {
        var multi = el("select", { multiple: "multiple", "aria-label": "Values", className: "sb-multi", "data-path": path + "in" });
        var chosen = (node.value || []).map(String);
        metric.choices.forEach(function (c) {
          var option = el("option", { value: c[0], text: c[1] || "(none)" });
          option.selected = chosen.indexOf(String(c[0])) >= 0;
          multi.appendChild(option);
        });
        multi.addEventListener("change", function () {
          node.value = Array.prototype.filter.call(multi.options, function (o) { return o.selected; })
            .map(function (o) { return self.cast(metric, o.value); });
          self.changed();
        });
        row.appendChild(multi);
      } else {
        row.appendChild(valueInput((node.value || []).join(", "), function (v) {
          node.value = v.split(",").map(function (s) { return s.trim(); }).filter(Boolean).map(function (s) { return self.cast(metric, s); });
        }, "Values, comma-separated", "in"));
      }
    } else if (op !== "above_average") {
      row.appendChild(valueInput(node.value, function (v) {
        node.value = (op === "above_percentile" || op === "within_days") ? parseInt(v, 10) : self.cast(metric, v);
      }, op === "above_percentile" ? "Percentile" : op === "within_days" ? "Days" : "Value", "v"));
      if (op === "above_percentile") row.appendChild(el("span", { className: "sb-unit", text: "th percentile" }));
      if (op === "within_days") row.appendChild(el("span", { className: "sb-unit", text: "days" }));
      if (metric.type === "percent" && op !== "above_percentile") row.appendChild(el("span", { className: "sb-unit", text: "%" }));
    }
    var remove = el("button", { type: "button", className: "sb-remove", text: "×", "aria-label": "Remove this condition" });
    remove.addEventListener("click", function () { parent.conditions.splice(parent.conditions.indexOf(node), 1); self.changed(); });
    row.appendChild(remove);
    return row;
  };

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-signal-builder]"), function (root) { new Builder(root); });
  });
})();
