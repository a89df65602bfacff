// Client-side sorting of the dashboard's item table (progressive enhancement).
// Without JavaScript the column headers are links that sort on the server.
(function () {
  "use strict";
  var table = document.getElementById("item-table");
  if (!table || !table.tBodies.length) { return; }
  var verdictOrder = { consensus_in: 0, consensus_out: 1, no_consensus: 2, insufficient_n: 3 };
  var headers = table.tHead ? table.tHead.rows[0].cells : [];

  function key(row, index, column) {
    var cell = row.cells[index];
    var raw = cell ? cell.getAttribute("data-value") : null;
    if (column === "verdict") { return verdictOrder[raw] !== undefined ? verdictOrder[raw] : 9; }
    if (column === "code" || column === "criterion") { return (raw || cell.textContent || "").trim(); }
    if (raw === null || raw === "") { return null; }   // missing values sort last
    var number = parseFloat(raw);
    return isNaN(number) ? raw : number;
  }

  Array.prototype.forEach.call(headers, function (th, index) {
    var column = th.getAttribute("data-key");
    var link = th.querySelector("a");
    if (!column || !link) { return; }
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var descending = th.getAttribute("aria-sort") === "ascending";
      Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length > 1; });
      rows.sort(function (a, b) {
        var x = key(a, index, column), y = key(b, index, column);
        if (x === null && y === null) { return 0; }
        if (x === null) { return 1; }
        if (y === null) { return -1; }
        var order = x < y ? -1 : (x > y ? 1 : 0);
        if (order === 0) {
          order = parseInt(a.getAttribute("data-position"), 10) - parseInt(b.getAttribute("data-position"), 10);
        }
        return descending ? -order : order;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      if (window.history && window.history.replaceState) {
        var url = new URL(link.href, window.location.href);
        url.searchParams.set("dir", descending ? "desc" : "asc");
        window.history.replaceState(null, "", url.toString());
      }
    });
  });
})();
