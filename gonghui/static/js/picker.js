/* The union tree picker (gonghui.orgs.picker.UnionPickerField): type a name or code, or browse the tree.
   Keyboard: ↓/↑ move, Enter chooses, → opens a node's children, ← goes back up, Esc closes. */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function Picker(root) {
    this.root = root;
    this.source = root.getAttribute("data-source");
    this.value = root.querySelector("[data-gh-picker-value]");
    this.input = root.querySelector("[data-gh-picker-input]");
    this.list = root.querySelector("[role=listbox]");
    this.status = root.querySelector("[data-gh-picker-status]");
    this.clear = root.querySelector("[data-gh-picker-clear]");
    this.options = [];
    this.active = -1;
    this.parent = null;
    this.timer = null;
    this.seq = 0;
    var self = this;
    this.input.addEventListener("input", function () {
      self.setValue("", "");
      clearTimeout(self.timer);
      var q = self.input.value.trim();
      self.timer = setTimeout(function () { q ? self.load({q: q}) : self.close(); }, 200);
    });
    this.input.addEventListener("keydown", function (ev) { self.key(ev); });
    root.querySelector("[data-gh-picker-browse]").addEventListener("click", function () {
      self.load({}); self.input.focus();
    });
    this.clear.addEventListener("click", function () {
      self.setValue("", ""); self.input.value = ""; self.input.focus();
    });
    document.addEventListener("click", function (ev) { if (!root.contains(ev.target)) self.close(); });
  }

  Picker.prototype.url = function (params) {
    var sep = this.source.indexOf("?") >= 0 ? "&" : "?";
    var parts = [];
    Object.keys(params).forEach(function (k) { parts.push(k + "=" + encodeURIComponent(params[k])); });
    return this.source + (parts.length ? sep + parts.join("&") : "");
  };

  Picker.prototype.load = function (params) {
    var self = this, seq = ++this.seq;
    fetch(this.url(params), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {items: [], error: true}; })
      .then(function (data) { if (seq === self.seq) self.render(data); })
      .catch(function () { if (seq === self.seq) self.render({items: [], error: true}); });
  };

  Picker.prototype.render = function (data) {
    var self = this, list = this.list;
    list.textContent = "";
    this.options = [];
    this.active = -1;
    this.parent = data.parent || null;
    if (this.parent) {
      var head = el("li", "list-group-item list-group-item-secondary small d-flex align-items-center");
      head.appendChild(el("span", "me-auto", this.parent.name + " 的下级"));
      if (this.parent.up) {
        var up = el("button", "btn btn-link btn-sm p-0", "‹ 返回上级");
        up.type = "button"; up.tabIndex = -1;
        up.addEventListener("click", function () { self.load({parent: self.parent.up}); self.input.focus(); });
        head.appendChild(up);
      }
      list.appendChild(head);
    }
    (data.items || []).forEach(function (u) {
      var li = el("li", "list-group-item d-flex align-items-center gh-picker-option");
      li.id = list.id + "_opt_" + u.id;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      if (!u.choosable) li.setAttribute("aria-disabled", "true");
      var label = el("span", "me-auto");
      label.appendChild(el("span", "", u.name));
      var meta = [u.kind, u.parent ? "上级：" + u.parent : "", u.code].filter(Boolean).join(" · ");
      label.appendChild(el("span", "d-block small text-muted", meta));
      li.appendChild(label);
      if (u.has_children) {
        var down = el("button", "btn btn-sm btn-outline-secondary ms-2", "下级 ›");
        down.type = "button"; down.tabIndex = -1;
        down.setAttribute("aria-label", "浏览" + u.name + "的下级");
        down.addEventListener("click", function (ev) { ev.stopPropagation(); self.load({parent: u.id}); self.input.focus(); });
        li.appendChild(down);
      }
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); });
      li.addEventListener("click", function () { self.choose(u); });
      list.appendChild(li);
      self.options.push({li: li, u: u});
    });
    if (!this.options.length) {
      list.appendChild(el("li", "list-group-item text-muted", data.error ? "加载失败，请重试" : "没有找到匹配的工会"));
    } else if (data.more) {
      list.appendChild(el("li", "list-group-item small text-muted", "结果较多，请输入更完整的名称或代码"));
    }
    list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    if (this.options.length) this.move(0);
  };

  Picker.prototype.move = function (i) {
    if (!this.options.length) return;
    if (this.active >= 0) {
      this.options[this.active].li.classList.remove("active");
      this.options[this.active].li.setAttribute("aria-selected", "false");
    }
    this.active = (i + this.options.length) % this.options.length;
    var o = this.options[this.active].li;
    o.classList.add("active");
    o.setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", o.id);
    o.scrollIntoView({block: "nearest"});
  };

  Picker.prototype.close = function () {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Picker.prototype.setValue = function (id, name) {
    var changed = String(this.value.value) !== String(id);
    this.value.value = id;
    this.clear.hidden = !id;
    this.status.textContent = id ? "已选：" + name : (this.input.value ? "尚未选择：请从列表中点选一项" : "尚未选择");
    if (changed) this.value.dispatchEvent(new Event("change", {bubbles: true}));
  };

  Picker.prototype.choose = function (u) {
    if (!u.choosable) { this.status.textContent = u.name + " 不能选择，请浏览其下级"; return; }
    this.input.value = u.name;
    this.setValue(u.id, u.name);
    this.close();
    this.input.focus();
  };

  Picker.prototype.key = function (ev) {
    var open = !this.list.hidden, cur = this.options[this.active];
    if (ev.key === "ArrowDown") {
      ev.preventDefault();
      if (!open) { this.input.value.trim() ? this.load({q: this.input.value.trim()}) : this.load({}); } else this.move(this.active + 1);
    } else if (ev.key === "ArrowUp") {
      if (open) { ev.preventDefault(); this.move(this.active - 1); }
    } else if (ev.key === "Enter") {
      if (open && cur) { ev.preventDefault(); this.choose(cur.u); }
    } else if (ev.key === "ArrowRight") {
      if (open && cur && cur.u.has_children) { ev.preventDefault(); this.load({parent: cur.u.id}); }
    } else if (ev.key === "ArrowLeft") {
      if (open && this.parent && this.parent.up) { ev.preventDefault(); this.load({parent: this.parent.up}); }
      else if (open && this.parent && !this.input.value.trim()) { ev.preventDefault(); this.load({}); }
    } else if (ev.key === "Escape") {
      if (open) { ev.preventDefault(); this.close(); }
    }
  };

  function init(scope) {
    (scope || document).querySelectorAll("[data-gh-picker]").forEach(function (root) {
      if (!root.ghPicker) root.ghPicker = new Picker(root);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (ev) { init(ev.target); });
})();
