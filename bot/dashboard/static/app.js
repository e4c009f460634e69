/* dondoc dashboard: plain JS, no library, nothing loaded from outside.
 *
 * Launch data (initData) comes from window.Telegram.WebApp when a Telegram client injected it, else
 * from the URL fragment (#tgWebAppData=...), and is sent as it came with every API request
 * (Authorization: tma <initData>). Every value from the API is put in the page with textContent. */
(function () {
  "use strict";

  var CATS = ["done_on_time", "done_late", "open_on_time", "open_overdue", "ongoing"];
  var state = { texts: {}, filters: { notice: "", agency: "", category: "" }, stack: [], sort: { key: "overdue", dir: -1 },
                initData: "", lastOverview: null };
  var app = document.getElementById("app");
  var webApp = (window.Telegram && window.Telegram.WebApp) || null;

  // ------------------------------------------------------------ launch data and theme
  function fragment() {
    var hash = window.location.hash || "";
    try { return new URLSearchParams(hash.charAt(0) === "#" ? hash.slice(1) : hash); }
    catch (e) { return new URLSearchParams(""); }
  }

  function applyTheme(params) {
    if (!params || typeof params !== "object") return;
    var root = document.documentElement;
    Object.keys(params).forEach(function (key) {
      var value = String(params[key]);
      if (!/^#[0-9a-fA-F]{3,8}$/.test(value)) return;  // colours only
      root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    });
    root.classList.add("tg-theme");
  }

  function launch() {
    var frag = fragment();
    var initData = "";
    var theme = null;
    if (webApp && webApp.initData) initData = webApp.initData;
    if (!initData) initData = frag.get("tgWebAppData") || "";
    if (webApp && webApp.themeParams && Object.keys(webApp.themeParams).length) theme = webApp.themeParams;
    if (!theme && frag.get("tgWebAppThemeParams")) {
      try { theme = JSON.parse(frag.get("tgWebAppThemeParams")); } catch (e) { theme = null; }
    }
    applyTheme(theme);
    if (webApp) {
      try { webApp.ready(); webApp.expand(); } catch (e) { /* older clients */ }
      if (webApp.onEvent) webApp.onEvent("themeChanged", function () { applyTheme(webApp.themeParams); });
    } else {
      // Without Telegram's script, tell the client ourselves (its documented event bridge) that the page
      // is ready and may take the full height: nothing leaves the device.
      postEvent("web_app_ready");
      postEvent("web_app_expand");
      listen();
      if (!theme) postEvent("web_app_request_theme");  // the client answers with theme_changed
    }
    return initData;
  }

  // Events from the Telegram client, through its documented bridge (window.Telegram.WebView.receiveEvent
  // in the apps, messages from the parent frame in Telegram Web): the theme changed, the back button.
  function receiveEvent(type, data) {
    if (type === "theme_changed" && data && data.theme_params) applyTheme(data.theme_params);
    else if (type === "back_button_pressed") back();
  }

  function listen() {
    window.Telegram = window.Telegram || {};
    if (!window.Telegram.WebView) window.Telegram.WebView = { receiveEvent: receiveEvent };
    if (!window.TelegramGameProxy) window.TelegramGameProxy = { receiveEvent: receiveEvent };  // older clients
    window.addEventListener("message", function (e) {
      if (e.source !== window.parent || window.parent === window) return;
      var m = null;
      try { m = JSON.parse(e.data); } catch (x) { return; }
      if (m && typeof m.eventType === "string") receiveEvent(m.eventType, m.eventData);
    });
  }

  function postEvent(type, data) {
    var message = JSON.stringify({ eventType: type, eventData: data || {} });
    try {
      if (window.TelegramWebviewProxy && window.TelegramWebviewProxy.postEvent) {
        window.TelegramWebviewProxy.postEvent(type, JSON.stringify(data || {}));  // Android, iOS
      } else if (window.external && "notify" in window.external) {
        window.external.notify(message);  // desktop
      } else if (window.parent && window.parent !== window) {
        window.parent.postMessage(message, "*");  // Telegram Web (an iframe)
      }
    } catch (e) { /* not inside Telegram */ }
  }

  // ------------------------------------------------------------ helpers
  function T(key, values) {
    var s = state.texts[key] || key;
    if (values) Object.keys(values).forEach(function (k) { s = s.split("{" + k + "}").join(String(values[k])); });
    return s;
  }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = String(v);
      else if (k === "cls") node.className = v;
      else if (k === "style") String(v).split(";").forEach(function (decl) {  // CSSOM: allowed by the CSP
        var i = decl.indexOf(":");
        if (i > 0) node.style.setProperty(decl.slice(0, i).trim(), decl.slice(i + 1).trim());
      });
      else if (k === "on") Object.keys(v).forEach(function (ev) { node.addEventListener(ev, v[ev]); });
      else node.setAttribute(k, v === true ? "" : String(v));
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) child.forEach(function (c) { if (c) node.appendChild(c); });
      else node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // The SVG namespace, from the HTML parser itself (the page names no outside address at all).
  var SVG_NS = (function () { var d = document.createElement("div"); d.innerHTML = "<svg></svg>"; return d.firstChild.namespaceURI; })();

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = String(attrs[k]); else node.setAttribute(k, String(attrs[k]));
    });
    return node;
  }

  function fmtDate(iso) {
    if (!iso) return "";
    var m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}:\d{2}))?/.exec(iso);
    if (!m) return iso;
    return m[3] + "/" + m[2] + "/" + m[1] + (m[4] ? " " + m[4] : "");
  }

  function pct(rate) {
    if (rate === null || rate === undefined) return "—";
    return (Math.round(rate * 1000) / 10).toFixed(1).replace(".", ",") + "%";
  }

  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      if (params[k]) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(params[k]));
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  function Refused(status) { this.status = status; }

  function api(path) {
    // Relative path: works wherever the page is served (HOST/mini/ behind a proxy, or /).
    return fetch(path, { headers: { "Authorization": "tma " + state.initData }, credentials: "omit",
                         cache: "no-store" }).then(function (r) {
      if (r.status === 401 || r.status === 403) throw new Refused(r.status);
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function done(stateName) {
    app.setAttribute("data-state", stateName);
  }

  // ------------------------------------------------------------ views
  function setHeader(title, showBack) {
    document.getElementById("title").textContent = title;
    var back = document.getElementById("back");
    back.hidden = !showBack;
    back.textContent = T("back");
    if (webApp && webApp.BackButton) {
      try { if (showBack) webApp.BackButton.show(); else webApp.BackButton.hide(); } catch (e) { /* old client */ }
    } else if (!webApp) {
      postEvent("web_app_setup_back_button", { is_visible: !!showBack });  // Telegram's own back button
    }
  }

  function refusal(status) {
    app.textContent = "";
    document.getElementById("filters").hidden = true;
    document.getElementById("asof").textContent = "";
    setHeader(T("title"), false);
    app.appendChild(el("section", { cls: "refusal", id: "refusal", "data-status": status },
      el("h2", { text: "⛔ " + T("refused") }),
      el("p", { cls: "hint", text: status ? T("refused_hint") : T("open_in_telegram") })));
    done("refused");
  }

  function failure(err, retry) {
    if (err instanceof Refused) { refusal(err.status); return; }
    app.textContent = "";
    app.appendChild(el("section", { cls: "refusal" }, el("h2", { text: T("error") }),
      el("button", { cls: "primary", type: "button", text: T("retry"), on: { click: retry } })));
    done("error");
  }

  function loading() {
    app.textContent = "";
    app.appendChild(el("p", { cls: "hint", text: T("loading") }));
    app.setAttribute("data-state", "loading");
  }

  function fillFilters(f) {
    var nav = document.getElementById("filters");
    nav.hidden = false;
    document.getElementById("lbl-notice").textContent = T("filter_notice");
    document.getElementById("lbl-agency").textContent = T("filter_agency");
    document.getElementById("lbl-category").textContent = T("filter_category");
    function fill(id, first, options, current) {
      var sel = document.getElementById(id);
      sel.textContent = "";
      sel.appendChild(el("option", { value: "", text: first }));
      options.forEach(function (o) { sel.appendChild(el("option", { value: o.id, text: o.label, selected: o.id === current })); });
      sel.value = current || "";
    }
    fill("f-notice", T("all_notices"), f.notices.map(function (n) {
      return { id: n.id, label: n.number + (n.issued_on ? " (" + fmtDate(n.issued_on) + ")" : "") };
    }), state.filters.notice);
    fill("f-agency", T("all_agencies"), f.agencies.map(function (a) { return { id: a.id, label: a.name }; }),
         state.filters.agency);
    fill("f-category", T("all_categories"), f.categories, state.filters.category);
    document.getElementById("f-agency").parentElement.hidden = f.agencies.length <= 1 && !!state.me && state.me.agencies !== null;
  }

  function categoryCards(summary, categories) {
    var labels = {};
    categories.forEach(function (c) { labels[c.id] = c.label; });
    var cards = CATS.map(function (c) {
      return el("div", { cls: "card cat " + c, id: "cat-" + c, role: "button", tabindex: "0", "data-cat": c,
                         on: { click: function () { var before = copy(state.filters); state.filters.category = c; go({ view: "tasks" }, before); } } },
        el("span", { cls: "count", "data-count": c, text: String(summary.counts[c]) }),
        el("span", { cls: "label", text: labels[c] }));
    });
    var rate = summary.rate;
    cards.push(el("div", { cls: "card rate", id: "rate-card" },
      el("div", null,
        el("span", { cls: "big", id: "rate", "data-rate": rate === null ? "" : String(rate), text: pct(rate) }),
        el("div", { cls: "hint", text: T("rate") + " " + T("rate_hint") + (rate === null ? " — " + T("rate_none") : "") +
          " (" + summary.done + "/" + summary.due + ")" })),
      el("div", { cls: "bar" }, el("span", { style: "width:" + (rate === null ? 0 : Math.round(rate * 100)) + "%" }))));
    if (summary.standing) {
      cards.push(el("p", { cls: "hint standing", id: "standing", "data-standing": String(summary.standing_tasks),
        text: T("standing", { count: summary.standing_tasks, assignments: summary.standing }) }));
    }
    return el("div", { cls: "cards", id: "summary", "data-total": String(summary.total) }, cards);
  }

  function weekBlock(w) {
    function cell(key, value) {
      return el("div", { cls: "card", "data-week": key }, el("b", { text: String(value) }), el("span", { text: T("week_" + key) }));
    }
    return el("section", { id: "week" }, el("h2", { text: T("week") }),
      el("div", { cls: "week" }, cell("reports", w.reports), cell("completed", w.completed),
        cell("newly_overdue", w.newly_overdue), cell("extensions", w.extensions)));
  }

  var COLUMNS = [
    { key: "name", label: "col_agency", get: function (r) { return r.name; } },
    { key: "overdue", label: "col_overdue", get: function (r) { return r.overdue; } },
    { key: "total", label: "col_total", get: function (r) { return r.total; } },
    { key: "done", label: "col_done", get: function (r) { return r.done; } },
    { key: "open", label: "col_open", get: function (r) { return r.counts.open_on_time; } },
    { key: "rate", label: "col_rate", get: function (r) { return r.rate === null ? -1 : r.rate; } }
  ];

  function agencyTable(rows) {
    var col = COLUMNS.filter(function (c) { return c.key === state.sort.key; })[0] || COLUMNS[1];
    var sorted = rows.slice().sort(function (a, b) {
      var x = col.get(a), y = col.get(b);
      var d = typeof x === "string" ? x.localeCompare(y, "vi") : x - y;
      if (d === 0) d = b.overdue - a.overdue || a.name.localeCompare(b.name, "vi");
      else d *= state.sort.dir;
      return d;
    });
    var head = el("tr", null, COLUMNS.map(function (c) {
      return el("th", { scope: "col", "data-key": c.key, text: T(c.label),
        "aria-sort": c.key === state.sort.key ? (state.sort.dir < 0 ? "descending" : "ascending") : null,
        on: { click: function () {
          if (state.sort.key === c.key) state.sort.dir = -state.sort.dir;
          else { state.sort.key = c.key; state.sort.dir = c.key === "name" ? 1 : -1; }
          var box = document.getElementById("agency-table");
          box.replaceWith(agencyTable(rows));
        } } });
    }));
    var body = el("tbody", null, sorted.map(function (r) {
      return el("tr", { "data-agency": r.id, on: { click: function () {
          var before = copy(state.filters);
          state.filters.agency = r.id; state.filters.category = ""; go({ view: "tasks" }, before);
        } } },
        el("td", { text: r.name }),
        el("td", { cls: r.overdue ? "overdue" : null, "data-col": "overdue", text: String(r.overdue) }),
        el("td", { text: String(r.total) }),
        el("td", { text: String(r.done) }),
        el("td", { text: String(r.counts.open_on_time) }),
        el("td", { text: pct(r.rate) }));
    }));
    return el("div", { cls: "scroll", id: "agency-table" }, el("table", null, el("thead", null, head), body));
  }

  function chart(rows, categories) {
    // Horizontal stacked bars, one per agency (most overdue first), drawn here as inline SVG.
    var top = rows.slice().sort(function (a, b) { return b.overdue - a.overdue || b.total - a.total; }).slice(0, 12);
    var width = 360, labelW = 120, barH = 16, gap = 8, pad = 4;
    var height = Math.max(1, top.length) * (barH + gap) + pad;
    var max = Math.max.apply(null, top.map(function (r) { return r.total; }).concat([1]));
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, class: "chart", id: "chart", role: "img",
                            "aria-label": T("chart") });
    top.forEach(function (r, i) {
      var y = pad + i * (barH + gap);
      var name = r.name.length > 22 ? r.name.slice(0, 21) + "…" : r.name;
      root.appendChild(svg("text", { x: 0, y: y + barH - 4, text: name }));
      var x = labelW;
      CATS.forEach(function (c) {
        var n = r.counts[c];
        if (!n) return;
        var w = (width - labelW - 28) * n / max;
        var rect = svg("rect", { x: x.toFixed(1), y: y, width: Math.max(w, 1).toFixed(1), height: barH,
                                 class: "seg " + c, "data-agency": r.id, "data-cat": c, "data-n": n });
        rect.appendChild(svg("title", { text: r.name + ": " + n }));
        root.appendChild(rect);
        x += w;
      });
      root.appendChild(svg("text", { x: (x + 3).toFixed(1), y: y + barH - 4, text: String(r.total) }));
    });
    var labels = {};
    categories.forEach(function (c) { labels[c.id] = c.label; });
    var legend = el("div", { cls: "legend" }, CATS.map(function (c) {
      return el("span", null, el("i", { cls: "sw " + c }), labels[c]);
    }));
    return el("section", { id: "chart-box" }, el("h2", { text: T("chart") }), el("p", { cls: "hint", text: T("chart_hint") }),
      root, legend);
  }

  function reportLine(rep) {
    if (!rep) return el("p", { cls: "meta", text: T("no_report") });
    var text = (rep.status_label ? rep.status_label + (rep.text ? ": " : "") : "") + (rep.text || "");
    return el("div", { cls: "report" },
      el("div", { cls: "who", text: fmtDate(rep.at) + " · " + rep.author + (rep.edited ? " · " + T("edited") : "") }),
      text ? el("div", { text: text.length > 300 ? text.slice(0, 299) + "…" : text }) : null,
      rep.files && rep.files.length ? el("div", { cls: "files" }, el("ul", null,
        rep.files.map(function (f) { return el("li", { text: f }); }))) : null);
  }

  function taskItem(t, withReport) {
    var badge = t.standing ? T("standing_badge") :
      (t.category === "open_overdue" ? T("days_overdue", { days: t.days_overdue }) : t.status);
    return el("article", { cls: "item", "data-task": t.task, "data-assignment": t.assignment, "data-cat": t.category,
                           "data-days": String(t.days_overdue),
                           on: { click: function () { go({ view: "task", task: t.task }); } } },
      el("div", { cls: "head" },
        el("span", { cls: "code", text: t.code }),
        el("span", { cls: "meta", text: t.notice_number + (t.ref ? " · " + t.ref : "") }),
        el("span", { cls: "badge " + t.category, text: badge })),
      el("div", { cls: "agency", text: t.agency_name + " · " + t.role_label }),
      el("div", { cls: "text", text: t.text }),
      el("div", { cls: "meta", text: T("deadline") + ": " + (t.deadline ? fmtDate(t.deadline) : (t.recurring || T("no_deadline"))) +
                  (t.category === "done_late" && t.days_overdue ? " · " + T("days_late", { days: t.days_overdue }) : "") }),
      withReport ? el("div", null, el("div", { cls: "meta", text: T("latest_report") }), reportLine(t.last_report)) : null);
  }

  function renderOverview(d) {
    state.me = d.me;
    state.lastOverview = d;
    fillFilters(d.filters);
    var scope = d.scope.agency_name || (d.me.agencies ? d.me.agencies.map(function (a) { return a.name; }).join(", ") : null);
    setHeader(scope || T("title"), false);
    document.getElementById("asof").textContent = T("as_of") + " " + fmtDate(d.now) + " · " + d.me.name + " (" + d.me.role_label + ")";
    app.textContent = "";
    app.appendChild(el("section", { id: "overview" },
      el("h2", { text: T("overview") + " · " + T("total") + ": " + d.summary.total }),
      el("p", { cls: "hint", text: d.scope.lead_only ? T("lead_only") : T("agency_scope") }),
      categoryCards(d.summary, d.categories)));
    app.appendChild(weekBlock(d.week));
    if (d.agencies.length > 1 || !d.me.agencies) {
      app.appendChild(el("section", { id: "agencies" }, el("h2", { text: T("agencies") }),
        el("p", { cls: "hint", text: T("sort_hint") }), agencyTable(d.agencies)));
      app.appendChild(chart(d.agencies, d.categories));
    }
    var overdue = el("section", { id: "overdue" }, el("h2", { text: T("overdue") + " (" + d.overdue_total + ")" }));
    if (!d.overdue.length) overdue.appendChild(el("p", { cls: "hint", text: T("no_overdue") }));
    overdue.appendChild(el("div", { cls: "list" }, d.overdue.map(function (t) { return taskItem(t, true); })));
    if (d.overdue_total > d.overdue.length) {
      overdue.appendChild(el("button", { cls: "link more", type: "button", text: T("more", { count: d.overdue_total - d.overdue.length }),
        on: { click: function () { var before = copy(state.filters); state.filters.category = "open_overdue"; go({ view: "tasks" }, before); } } }));
    }
    app.appendChild(overdue);
    app.appendChild(el("p", null, el("button", { cls: "link", type: "button", text: T("show_tasks"),
      on: { click: function () { go({ view: "tasks" }); } } })));
    done("ready");
  }

  function renderTasks(d) {
    state.me = d.me;
    if (state.lastOverview) fillFilters(state.lastOverview.filters);
    setHeader(d.scope.agency_name || T("tasks"), true);
    app.textContent = "";
    var section = el("section", { id: "tasks", "data-count": String(d.total) },
      el("h2", { text: T("tasks") + " (" + d.total + ")" }));
    if (!d.tasks.length) section.appendChild(el("p", { cls: "hint", text: T("no_tasks") }));
    section.appendChild(el("div", { cls: "list" }, d.tasks.map(function (t) { return taskItem(t, false); })));
    if (d.total > d.tasks.length) section.appendChild(el("p", { cls: "more", text: T("more", { count: d.total - d.tasks.length }) }));
    app.appendChild(section);
    done("ready");
  }

  function renderTask(d) {
    setHeader(d.task.code + " · " + d.task.notice_number, true);
    document.getElementById("filters").hidden = true;
    app.textContent = "";
    var section = el("section", { id: "task", "data-task": d.task.id },
      el("h2", { text: T("history") }),
      el("p", { cls: "meta", text: d.task.notice_number + (d.task.ref ? " · " + d.task.ref : "") +
                (d.task.deadline_text ? " · " + d.task.deadline_text : "") }),
      el("p", { text: d.task.text }));
    d.assignments.forEach(function (a) {
      var box = el("div", { cls: "card", "data-assignment": a.assignment, "data-cat": a.category },
        el("div", { cls: "head" }, el("b", { text: a.agency_name }), " ",
          el("span", { cls: "meta", text: a.role_label }), " ",
          el("span", { cls: "badge " + a.category, text: a.category === "open_overdue" ? T("days_overdue", { days: a.days_overdue }) : a.category_label })),
        el("p", { cls: "meta", text: a.status }),
        el("p", { cls: "meta", text: T("deadline") + ": " + (a.deadline ? fmtDate(a.deadline) : (a.recurring || T("no_deadline"))) +
          (a.original_deadline && a.original_deadline !== a.deadline ? " (" + fmtDate(a.original_deadline) + ")" : "") +
          (a.sent_at ? " · " + T("sent") + ": " + fmtDate(a.sent_at) : "") }),
        a.confirmed ? el("p", { cls: "meta confirmed", text: "✅ " + T("confirmed") + ": " + fmtDate(a.completed_at) }) :
          (a.waiting ? el("p", { cls: "meta", text: "⏳ " + T("waiting") + (a.done_reported_at ? " (" + fmtDate(a.done_reported_at) + ")" : "") }) : null));
      if (a.extensions.length) {
        box.appendChild(el("h3", { text: T("extensions") }));
        a.extensions.forEach(function (e) {
          box.appendChild(el("div", { cls: "report extension" },
            el("div", { cls: "who", text: fmtDate(e.requested_at) + " · " + T("requested") + " " + fmtDate(e.new_deadline) +
              " · " + e.decision_label + (e.decided_at ? " (" + fmtDate(e.decided_at) + ")" : "") }),
            e.reason ? el("div", { text: e.reason }) : null));
        });
      }
      box.appendChild(el("h3", { text: T("reports") + " (" + a.reports.length + ")" }));
      if (!a.reports.length) box.appendChild(el("p", { cls: "meta", text: T("no_report") }));
      a.reports.forEach(function (r) { box.appendChild(reportLine(r)); });
      section.appendChild(box);
    });
    app.appendChild(section);
    done("ready");
  }

  // ------------------------------------------------------------ navigation (in memory: the fragment holds the launch data)
  var current = { view: "overview" };

  function show(view) {
    current = view;
    loading();
    var f = state.filters;
    if (view.view === "task") {
      api("api/task/" + encodeURIComponent(view.task)).then(renderTask, function (e) { failure(e, function () { show(view); }); });
    } else if (view.view === "tasks") {
      api("api/tasks" + query({ notice: f.notice, agency: f.agency, category: f.category }))
        .then(renderTasks, function (e) { failure(e, function () { show(view); }); });
    } else {
      api("api/overview" + query({ notice: f.notice, agency: f.agency }))
        .then(renderOverview, function (e) { failure(e, function () { show(view); }); });
    }
    window.scrollTo(0, 0);
  }

  // Each step back restores the view and the filters it had (the province after an agency's tasks).
  function go(view, filtersBefore) {
    state.stack.push({ view: current, filters: filtersBefore || copy(state.filters) });
    show(view);
  }

  function copy(f) { return { notice: f.notice, agency: f.agency, category: f.category }; }

  function back() {
    var previous = state.stack.pop() || { view: { view: "overview" }, filters: { notice: "", agency: "", category: "" } };
    state.filters = previous.filters;
    show(previous.view);
  }

  function onFilter() {
    state.filters.notice = document.getElementById("f-notice").value;
    state.filters.agency = document.getElementById("f-agency").value;
    state.filters.category = document.getElementById("f-category").value;
    if (state.filters.category) {
      state.stack = [{ view: { view: "overview" }, filters: { notice: state.filters.notice, agency: state.filters.agency, category: "" } }];
      show({ view: "tasks" });
    } else { state.stack = []; show({ view: "overview" }); }
  }

  function start() {
    state.initData = launch();
    document.getElementById("back").addEventListener("click", back);
    if (webApp && webApp.BackButton && webApp.BackButton.onClick) webApp.BackButton.onClick(back);
    ["f-notice", "f-agency", "f-category"].forEach(function (id) {
      document.getElementById(id).addEventListener("change", onFilter);
    });
    fetch("texts.json", { credentials: "omit" }).then(function (r) { return r.json(); }).then(function (texts) {
      state.texts = texts;
      document.title = T("title");
      setHeader(T("title"), false);
      if (!state.initData) { refusal(0); return; }
      show({ view: "overview" });
    }, function (e) { failure(e, start); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
