// Sorting, filtering and CSV download for the exception report. No network, no libraries.
(function () {
  "use strict";

  var language = document.documentElement.lang || "en";
  var messages = JSON.parse(document.getElementById("messages").textContent);
  // report/csv_cells.py's FORMULA_STARTS: one rule for every CSV the product writes
  var formulaStarts = JSON.parse(document.getElementById("formula-starts").textContent);
  var integer = new Intl.NumberFormat(language);
  var datasets = {};

  function dataset(name) {
    if (!(name in datasets)) {
      datasets[name] = JSON.parse(document.getElementById("data-" + name).textContent);
    }
    return datasets[name];
  }

  // A cell as CSV: quoted when needed; text that a spreadsheet would run as a formula is defused.
  function csvCell(value) {
    if (value === null || value === undefined) return "";
    var text = typeof value === "object" ? JSON.stringify(value) : String(value);
    if (typeof value === "string" && formulaStarts.indexOf(text.charAt(0)) >= 0) text = "'" + text;
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  // The dataset's rows shown in its table, in the table's current order and filter.
  function csv(name) {
    var data = dataset(name);
    var table = document.querySelector('table[data-dataset="' + name + '"]');
    var indexes = Array.prototype.filter
      .call(table.tBodies[0].rows, function (row) { return !row.hidden; })
      .map(function (row) { return Number(row.getAttribute("data-i")); });
    var lines = [data.columns.map(csvCell).join(",")];
    indexes.forEach(function (i) { lines.push(data.rows[i].map(csvCell).join(",")); });
    return lines.join("\r\n") + "\r\n";
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

  function sortKey(row, column, numeric) {
    var cell = row.cells[column];
    var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (!numeric) return value;
    return value === "" ? -Infinity : Number(value);
  }

  function sortBy(header) {
    var table = header.closest("table");
    var column = header.cellIndex;
    var numeric = header.getAttribute("data-type") === "number";
    // Numbers start with the largest, text with A.
    var current = header.getAttribute("aria-sort");
    var ascending = current ? current !== "ascending" : !numeric;
    Array.prototype.forEach.call(header.parentNode.cells, function (cell) { cell.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = sortKey(a, column, numeric);
      var y = sortKey(b, column, numeric);
      var order = numeric ? (x < y ? -1 : x > y ? 1 : 0) : x.localeCompare(y, language);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function value(id) {
    var element = document.getElementById(id);
    return element ? element.value : "";
  }

  function applyFilters() {
    var table = document.getElementById("open-table");
    if (!table) return 0;
    var stage = value("filter-stage");
    var owner = value("filter-owner");
    var severity = value("filter-severity");
    var text = value("filter-text").trim().toLowerCase();
    var rows = table.tBodies[0].rows;
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var visible = (!stage || row.getAttribute("data-stage") === stage) &&
        (!owner || row.getAttribute("data-owner") === owner) &&
        (!severity || row.getAttribute("data-severity") === severity) &&
        (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
      row.hidden = !visible;
      if (visible) shown++;
    }
    document.getElementById("open-count").textContent = messages.showing
      .replace("{shown}", integer.format(shown))
      .replace("{total}", integer.format(rows.length));
    return shown;
  }

  document.addEventListener("click", function (event) {
    var sorter = event.target.closest("button.sort");
    if (sorter) sortBy(sorter.closest("th"));
    var downloader = event.target.closest("button[data-download]");
    if (downloader) download(downloader.getAttribute("data-download"), downloader.getAttribute("data-filename"));
  });
  ["filter-stage", "filter-owner", "filter-severity"].forEach(function (id) {
    var element = document.getElementById(id);
    if (element) element.addEventListener("change", applyFilters);
  });
  var search = document.getElementById("filter-text");
  if (search) search.addEventListener("input", applyFilters);

  window.retaguardaReport = { csv: csv, applyFilters: applyFilters };
})();
