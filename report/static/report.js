// The exception report's behaviour: figures that fit, the open list drawn from its data a page at a time,
// sorting, filters, details in place, CSV downloads. No network, no libraries; data is parsed, never run.
(function () {
  "use strict";

  function json(id) { return JSON.parse(document.getElementById(id).textContent); }

  var settings = json("page-settings");
  var messages = json("messages");
  // report/csv_cells.py's FORMULA_STARTS: one rule for every CSV the product writes
  var formulaStarts = json("formula-starts");
  // en_001 as in report/formats.py: US$ for dollars, so R$ is not taken for them
  var locale = settings.language === "en" ? "en-001" : settings.language;
  var integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  var money = new Intl.NumberFormat(locale, { style: "currency", currency: settings.currency });
  var decimalFormats = {};
  var dateParts = new Intl.DateTimeFormat("en-US", {
    timeZone: settings.timezone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23"
  });
  var TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}(:?\d{2})?|Z)$/;
  var datasets = {};

  function message(id, values) {
    var text = messages[id];
    Object.keys(values || {}).forEach(function (key) { text = text.replace("{" + key + "}", values[key]); });
    return text;
  }

  function decimals(count) {
    if (!(count in decimalFormats)) {
      decimalFormats[count] = new Intl.NumberFormat(locale, { minimumFractionDigits: count, maximumFractionDigits: count });
    }
    return decimalFormats[count];
  }

  // A time as report/formats.py writes it: en 2026-11-28 14:00, pt-BR 28/11/2026 14:00, in the report's zone.
  var utcParts = new Intl.DateTimeFormat("en-US", {
    timeZone: "UTC", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23"
  });
  var eraYear = new Intl.DateTimeFormat("en-US", { timeZone: settings.timezone, era: "short", year: "numeric" });

  function partsOf(formatter, date) {
    var part = {};
    formatter.formatToParts(date).forEach(function (p) { part[p.type] = p.value; });
    return part;
  }

  function dateTime(milliseconds) {
    var date = new Date(milliseconds);
    if (isNaN(date.getTime())) return "";
    var formatter = dateParts, suffix = "";
    var year = date.getUTCFullYear();
    if (year <= 1 || year >= 9999) {
      // as the server's formats do: in UTC, marked so, where the zone would leave years 1 to 9999
      var local = partsOf(eraYear, date);
      if (local.era !== "AD" || Number(local.year) > 9999) { formatter = utcParts; suffix = " UTC"; }
    }
    var part = partsOf(formatter, date);
    var yyyy = ("000" + part.year).slice(-4);
    var time = part.hour + ":" + part.minute;
    return (settings.language === "en"
      ? yyyy + "-" + part.month + "-" + part.day + " " + time
      : part.day + "/" + part.month + "/" + yyyy + " " + time) + suffix;
  }

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined && text !== null) made.textContent = text;
    return made;
  }

  // ---- MD5 (RFC 1321) of a text's UTF-8 bytes, as lowercase hex

  var MD5_SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  var MD5_SINES = [];
  for (var s = 0; s < 64; s++) MD5_SINES.push(Math.floor(Math.abs(Math.sin(s + 1)) * 4294967296) | 0);
  var encoder = new TextEncoder();

  function md5(text) {
    var bytes = encoder.encode(text);
    var length = bytes.length;
    var words = new Int32Array((((length + 8) >> 6) + 1) * 16);
    for (var i = 0; i < length; i++) words[i >> 2] |= bytes[i] << ((i % 4) * 8);
    words[length >> 2] |= 0x80 << ((length % 4) * 8);
    words[words.length - 2] = length * 8;
    var a = 0x67452301, b = 0xefcdab89 | 0, c = 0x98badcfe | 0, d = 0x10325476;
    for (var block = 0; block < words.length; block += 16) {
      var aa = a, bb = b, cc = c, dd = d;
      for (var j = 0; j < 64; j++) {
        var f, g;
        if (j < 16) { f = (b & c) | (~b & d); g = j; }
        else if (j < 32) { f = (d & b) | (~d & c); g = (5 * j + 1) % 16; }
        else if (j < 48) { f = b ^ c ^ d; g = (3 * j + 5) % 16; }
        else { f = c ^ (b | ~d); g = (7 * j) % 16; }
        var sum = (a + f + MD5_SINES[j] + words[block + g]) | 0;
        var shift = MD5_SHIFTS[(j >> 4) * 4 + (j % 4)];
        a = d; d = c; c = b;
        b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
      }
      a = (a + aa) | 0; b = (b + bb) | 0; c = (c + cc) | 0; d = (d + dd) | 0;
    }
    var hex = "";
    [a, b, c, d].forEach(function (word) {
      for (var k = 0; k < 4; k++) hex += ((word >>> (8 * k)) & 255).toString(16).padStart(2, "0");
    });
    return hex;
  }

  // ---- headline figures: the exact one where it fits, the compact one where it does not

  function fitFigures() {
    Array.prototype.forEach.call(document.querySelectorAll(".kpi-value"), function (value) {
      value.textContent = value.getAttribute("data-full");
      var compact = value.scrollWidth > value.clientWidth;
      if (compact) value.textContent = value.getAttribute("data-compact");
      value.classList.toggle("is-compact", compact);
      value.classList.remove("is-tight");
      if (compact && value.scrollWidth > value.clientWidth) value.classList.add("is-tight");
    });
  }

  function toggleExact(value) {
    var exact = value.parentNode.querySelector(".kpi-exact");
    exact.hidden = !exact.hidden;
    value.setAttribute("aria-expanded", String(!exact.hidden));
  }

  // ---- small datasets (stage table, offenders): rows in their tables

  function dataset(name) {
    if (!(name in datasets)) datasets[name] = json("data-" + name);
    return datasets[name];
  }

  // A cell as CSV: quoted when needed; text that a spreadsheet would run as a formula is defused.
  function csvCell(value) {
    if (value === null || value === undefined) return "";
    var text = typeof value === "object" ? JSON.stringify(value) : String(value);
    if (typeof value === "string" && formulaStarts.indexOf(text.charAt(0)) >= 0) text = "'" + text;
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function csvLines(columns, rows) {
    var lines = [columns.map(csvCell).join(",")];
    rows.forEach(function (row) { lines.push(row.map(csvCell).join(",")); });
    return lines.join("\r\n") + "\r\n";
  }

  // ---- the open list: columns decoded once, then filtered, sorted and drawn a page at a time

  var list = null; // the decoded data-open block
  var order = []; // every row, in the current sort
  var shown = []; // the rows passing the filters, in order
  var drawn = 0;
  var offender = null; // {dimension, name, rows: Uint8Array mask}
  var haystack = null;
  var eventStart = null;

  function inflate(text) {
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text();
  }

  function loadList() {
    var block = document.getElementById("data-open");
    var text = block.textContent;
    var decoded = block.getAttribute("data-encoding") === "gzip+base64" ? inflate(text) : Promise.resolve(text);
    return decoded.then(JSON.parse);
  }

  function undelta(gaps) {
    var rows = new Array(gaps.length);
    var at = 0;
    for (var i = 0; i < gaps.length; i++) { at += gaps[i]; rows[i] = at; }
    return rows;
  }

  // The ledger's id, md5(check_id|entity_id), a tenant's name and "|" first (warehouse/ledger/next.sql):
  // sent only when it is not that.
  function exceptionId(i) {
    if (list.columns.exception_id) return list.columns.exception_id[i];
    return md5((list.id_prefix || "") + value("check_id", i) + "|" + list.columns.entity_id[i]);
  }

  function amount(i) {
    // exact digits where a double would round them; Intl formats a decimal string exactly
    return list.columns.amount_exact[i] || list.columns.amount_at_risk[i];
  }

  function label(column, i) {
    var code = list.columns[column][i];
    return code === null ? "" : list.labels[column] ? list.labels[column][code] : list.values[column][code];
  }

  function value(column, i) {
    var code = list.columns[column][i];
    return code === null ? null : list.values[column][code];
  }

  function rankOf(column, byLabel) {
    // Sorting by a dictionary column sorts its few distinct names once, then compares numbers.
    var names = list.values[column].map(function (name, code) {
      return { code: code, text: byLabel && list.labels[column] ? list.labels[column][code] : String(name) };
    });
    names.sort(function (a, b) { return a.text.localeCompare(b.text, settings.language); });
    var rank = new Array(names.length);
    names.forEach(function (name, position) { rank[name.code] = position; });
    return rank;
  }

  function sortKeyOf(key) {
    var c = list.columns;
    if (key === "severity") return function (i) { return list.labels.severity_rank[c.severity[i]]; };
    if (key === "check" || key === "owner" || key === "status") {
      var column = { check: "check_id", owner: "owner", status: "status" }[key];
      var rank = rankOf(column, true);
      return function (i) { return rank[c[column][i]]; };
    }
    if (key === "entity") return function (i) { return c.entity_id[i]; };
    var numbers = { opened: c.opened_at, age: c.age_business_hours, amount: c.amount_at_risk }[key];
    return function (i) { return numbers[i] === null ? -Infinity : numbers[i]; };
  }

  function sortBy(header) {
    var numeric = header.getAttribute("data-type") === "number";
    // Numbers start with the largest, text with A.
    var current = header.getAttribute("aria-sort");
    var ascending = current ? current !== "ascending" : !numeric;
    Array.prototype.forEach.call(header.parentNode.cells, function (cell) { cell.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    if (header.closest("#open-table")) {
      var key = sortKeyOf(header.getAttribute("data-key"));
      var keys = order.map(key);
      var positions = order.map(function (row, position) { return position; });
      positions.sort(function (a, b) {
        var x = keys[a], y = keys[b];
        var result = x < y ? -1 : x > y ? 1 : 0;
        return ascending ? result : -result;
      });
      order = positions.map(function (position) { return order[position]; });
      applyFilters();
      return;
    }
    var body = header.closest("table").tBodies[0];
    var column = header.cellIndex;
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[column].textContent.trim(), y = b.cells[column].textContent.trim();
      var result = numeric ? Number(x) - Number(y) : x.localeCompare(y, settings.language);
      return ascending ? result : -result;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function selected(id) {
    var found = document.getElementById(id);
    return found ? found.value : "";
  }

  function codeOf(column, name) {
    return name ? list.values[column].indexOf(name) : -1;
  }

  function searchText(i) {
    if (!haystack) haystack = new Array(list.n);
    if (haystack[i] === undefined) {
      haystack[i] = [list.columns.entity_id[i], label("check_id", i), label("stage", i), label("owner", i),
        label("status", i), value("acknowledged_by", i), label("entity_type", i), list.columns.evidence[i]]
        .join(" ").toLowerCase();
    }
    return haystack[i];
  }

  function applyFilters() {
    if (!list) return 0;
    var c = list.columns;
    var stage = codeOf("stage", selected("filter-stage"));
    var owner = codeOf("owner", selected("filter-owner"));
    var severity = codeOf("severity", selected("filter-severity"));
    var text = selected("filter-text").trim().toLowerCase();
    var mask = offender ? offender.rows : null;
    shown = order.filter(function (i) {
      return (stage < 0 || c.stage[i] === stage) && (owner < 0 || c.owner[i] === owner) &&
        (severity < 0 || c.severity[i] === severity) && (!mask || mask[i]) &&
        (!text || searchText(i).indexOf(text) >= 0);
    });
    // a filter for a value the list does not hold shows nothing, not everything
    if ((selected("filter-stage") && stage < 0) || (selected("filter-owner") && owner < 0) ||
        (selected("filter-severity") && severity < 0)) shown = [];
    document.getElementById("open-count").textContent = message("showing",
      { shown: integer.format(shown.length), total: integer.format(list.n) });
    document.getElementById("open-empty").hidden = shown.length > 0;
    var body = document.getElementById("open-table").tBodies[0];
    body.textContent = "";
    drawn = 0;
    drawMore();
    return shown.length;
  }

  function drawMore() {
    var body = document.getElementById("open-table").tBodies[0];
    var end = Math.min(drawn + settings.page, shown.length);
    var fragment = document.createDocumentFragment();
    for (var k = drawn; k < end; k++) fragment.appendChild(listRow(shown[k]));
    body.appendChild(fragment);
    drawn = end;
    var more = document.getElementById("open-more");
    var left = shown.length - drawn;
    more.hidden = left <= 0;
    more.textContent = message("show_more", { count: integer.format(Math.min(left, settings.page)) });
  }

  function cell(row, className, main, sub) {
    var td = element("td", className, main);
    if (sub) td.appendChild(element("div", "sub", sub));
    row.appendChild(td);
    return td;
  }

  function listRow(i) {
    var c = list.columns;
    var row = element("tr", "item");
    row.setAttribute("data-i", i);
    row.setAttribute("tabindex", "0");
    row.setAttribute("aria-expanded", "false");
    var pill = element("span", "pill", label("severity", i));
    pill.classList.add("pill-" + value("severity", i));
    cell(row, "").appendChild(pill);
    cell(row, "", label("check_id", i), label("stage", i));
    var entity = cell(row, "", null, label("entity_type", i));
    entity.insertBefore(element("div", "mono", c.entity_id[i]), entity.firstChild);
    cell(row, "wide-only", label("owner", i));
    cell(row, "wide-only", label("status", i), value("acknowledged_by", i));
    cell(row, "wide-only nowrap", c.opened_at[i] === null ? "" : dateTime(c.opened_at[i] * 1000));
    cell(row, "num", c.age_business_hours[i] === null ? "" : decimals(1).format(c.age_business_hours[i]));
    cell(row, "num nowrap", c.amount_at_risk[i] === null ? "" : money.format(amount(i)));
    return row;
  }

  // ---- detail in place: evidence, and what happened to the exception

  function evidenceValue(item) {
    if (item === null || item === undefined) return "\u2014";
    if (typeof item === "boolean") return item ? messages.yes : messages.no;
    if (typeof item === "object" && "source" in item && typeof item.number === "number") {
      var fraction = /^-?\d+\.(\d+)$/.exec(item.source);
      return fraction ? decimals(Math.min(fraction[1].length, 3)).format(item.number) : integer.format(item.number);
    }
    if (typeof item === "string" && TIMESTAMP.test(item)) {
      var iso = item.replace(" ", "T").replace(/([+-]\d{2})$/, "$1:00");
      return dateTime(Date.parse(iso)) || item;
    }
    return typeof item === "string" ? item : JSON.stringify(item);
  }

  function parseEvidence(text) {
    if (!text) return {};
    try {
      // the number's own digits (JSON.parse source text), so 29.50 shows as written
      var parsed = JSON.parse(text, function (key, item, context) {
        return typeof item === "number" && context && context.source ? { number: item, source: context.source } : item;
      });
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : { evidence: parsed };
    } catch (error) {
      return { evidence: text };
    }
  }

  function events(i) {
    if (!eventStart) {
      var rows = undelta(list.lifecycle.row);
      eventStart = { rows: rows, first: {} };
      for (var e = rows.length - 1; e >= 0; e--) eventStart.first[rows[e]] = e;
    }
    var found = [];
    for (var k = eventStart.first[i]; k !== undefined && k < eventStart.rows.length && eventStart.rows[k] === i; k++) {
      found.push(k);
    }
    return found;
  }

  function eventText(k) {
    var life = list.lifecycle;
    var kind = life.kinds[life.kind[k]];
    var detail = life.detail[k] === null ? "" : life.details[life.detail[k]];
    var shownDetail = list.labels.detail[detail] || detail;
    var template = list.labels.kind[kind] || kind;
    return template.replace("{severity}", shownDetail).replace("{actor}", shownDetail);
  }

  function pair(listElement, name, text) {
    listElement.appendChild(element("dt", "", name));
    listElement.appendChild(element("dd", "", text));
  }

  function detailRow(i) {
    var row = element("tr", "detail");
    var td = element("td");
    td.colSpan = 8;
    var box = element("div", "detail-box");
    var facts = element("dl", "facts");
    pair(facts, messages.exception_id, exceptionId(i));
    pair(facts, messages.owner, label("owner", i));
    var status = label("status", i);
    if (value("acknowledged_by", i)) status += " \u00b7 " + value("acknowledged_by", i);
    pair(facts, messages.status, status);
    if (list.columns.opened_at[i] !== null) pair(facts, messages.opened, dateTime(list.columns.opened_at[i] * 1000));
    if (list.columns.age_business_hours[i] !== null) {
      pair(facts, messages.age, decimals(1).format(list.columns.age_business_hours[i]));
    }
    var evidence = parseEvidence(list.columns.evidence[i]);
    var fields = element("dl", "facts evidence-list");
    Object.keys(evidence).forEach(function (key) {
      var words = (list.labels.evidence_values[key] || {})[evidence[key]];
      pair(fields, list.labels.evidence[key] || key.replace(/_/g, " "), words || evidenceValue(evidence[key]));
    });
    box.appendChild(element("h4", "", messages.evidence));
    box.appendChild(fields);
    box.appendChild(facts);
    var found = events(i);
    if (found.length) {
      box.appendChild(element("h4", "", messages.lifecycle));
      var history = element("ol", "history");
      found.forEach(function (k) {
        var line = element("li");
        line.appendChild(element("time", "", dateTime(list.lifecycle.at[k] * 1000)));
        line.appendChild(document.createTextNode(" " + eventText(k)));
        var note = list.lifecycle.note.length ? list.lifecycle.note[k] : null;
        if (note) line.appendChild(element("q", "", note));
        history.appendChild(line);
      });
      box.appendChild(history);
    }
    td.appendChild(box);
    row.appendChild(td);
    return row;
  }

  function toggleDetail(row) {
    var next = row.nextElementSibling;
    if (next && next.classList.contains("detail")) {
      next.remove();
      row.setAttribute("aria-expanded", "false");
      return;
    }
    row.parentNode.insertBefore(detailRow(Number(row.getAttribute("data-i"))), row.nextSibling);
    row.setAttribute("aria-expanded", "true");
  }

  // ---- worst offenders filter the list

  function filterOffender(dimension, name) {
    if (dimension === "owner") {
      document.getElementById("filter-owner").value = name;
      offender = null;
    } else {
      var mask = new Uint8Array(list.n);
      var gaps = (list.offenders[dimension] || {})[name] || [];
      undelta(gaps).forEach(function (i) { mask[i] = 1; });
      offender = { dimension: dimension, name: name, rows: mask };
    }
    var chip = document.getElementById("filter-offender");
    chip.hidden = !offender;
    chip.firstChild.textContent = offender ? message("filtered_by", { name: name }) : "";
    var shownCount = applyFilters();
    document.getElementById("open-exceptions").scrollIntoView({ block: "start" });
    return shownCount;
  }

  function clearOffender() {
    offender = null;
    document.getElementById("filter-offender").hidden = true;
    return applyFilters();
  }

  // ---- CSV

  function openCsv() {
    var c = list.columns;
    var rows = shown.map(function (i) {
      var opened = c.opened_at[i] === null ? null : new Date(c.opened_at[i] * 1000).toISOString().replace(".000Z", "+00:00");
      return [exceptionId(i), value("severity", i), value("stage", i), value("check_id", i), value("entity_type", i),
        c.entity_id[i], value("owner", i), value("status", i), value("acknowledged_by", i), opened,
        c.age_business_hours[i], amount(i), c.evidence[i]];
    });
    return csvLines(list.csv_columns, rows);
  }

  // The dataset's rows shown in its table, in the table's current order and filter.
  function csv(name) {
    if (name === "open") return openCsv();
    var data = dataset(name);
    var table = document.querySelector('table[data-dataset="' + name + '"]');
    var rows = Array.prototype.filter
      .call(table.tBodies[0].rows, function (row) { return !row.hidden; })
      .map(function (row) { return data.rows[Number(row.getAttribute("data-i"))]; });
    return csvLines(data.columns, rows);
  }

  function download(name, filename) {
    // The byte-order mark lets spreadsheets read the file as UTF-8.
    var blob = new Blob(["\ufeff" + csv(name)], { type: "text/csv;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  // ---- wiring

  document.addEventListener("click", function (event) {
    var target = event.target;
    var sorter = target.closest("button.sort");
    if (sorter) sortBy(sorter.closest("th"));
    var downloader = target.closest("button[data-download]");
    if (downloader) download(downloader.getAttribute("data-download"), downloader.getAttribute("data-filename"));
    var figure = target.closest(".kpi-value[role=button]");
    if (figure) toggleExact(figure);
    if (!list) return;
    if (target.closest("#open-more")) drawMore();
    if (target.closest(".chip-clear")) clearOffender();
    var item = target.closest("tr.item");
    if (item) toggleDetail(item);
    var pick = target.closest("tr.pick");
    if (pick) filterOffender(pick.getAttribute("data-dimension"), pick.getAttribute("data-name"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.key !== " ") return;
    var target = event.target;
    if (target.matches(".kpi-value[role=button], tr.item, tr.pick")) {
      event.preventDefault();
      target.click();
    }
  });
  ["filter-stage", "filter-owner", "filter-severity"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", applyFilters);
  });
  document.getElementById("filter-text").addEventListener("input", applyFilters);
  var resizing = false;
  window.addEventListener("resize", function () {
    if (resizing) return;
    resizing = true;
    requestAnimationFrame(function () { resizing = false; fitFigures(); });
  });
  fitFigures();

  var ready = loadList().then(function (decoded) {
    list = decoded;
    list.columns.evidence = list.columns.evidence.split("\n");
    order = [];
    for (var i = 0; i < list.n; i++) order.push(i);
    applyFilters();
    if ("IntersectionObserver" in window) {
      // the next page comes as the reader nears the end of the list's box
      new IntersectionObserver(function (entries) {
        if (entries[0].isIntersecting && drawn < shown.length) drawMore();
      }, { root: document.getElementById("open-scroll"), rootMargin: "200px" })
        .observe(document.getElementById("open-more"));
    }
    document.documentElement.setAttribute("data-ready", "");
  });

  window.retaguardaReport = {
    ready: ready,
    csv: csv,
    applyFilters: applyFilters,
    filterOffender: filterOffender,
    clearOffender: clearOffender,
    fitFigures: fitFigures,
    shown: function () { return shown.slice(); },
    exceptionId: function (i) { return exceptionId(i); },
    drawn: function () { return drawn; }
  };
})();
