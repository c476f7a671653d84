// Filters the findings table by pillar, severity, rule and file; no libraries, no network.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("findings-table");
  if (!form || !table) {
    return;
  }
  var keys = ["pillar", "severity", "rule", "file"];
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody > tr.finding"));
  var values = rows.map(function (row) {
    return keys.map(function (key) { return row.getAttribute("data-" + key); });
  });
  var shown = document.getElementById("shown-count");
  var noMatch = document.getElementById("no-match");

  function wanted() {
    return keys.map(function (key) {
      var select = form.elements.namedItem(key);
      return select ? select.value : "";
    });
  }

  function apply() {
    var want = wanted();
    var count = 0;
    for (var i = 0; i < rows.length; i++) {
      var match = true;
      for (var k = 0; k < keys.length; k++) {
        if (want[k] !== "" && values[i][k] !== want[k]) {
          match = false;
          break;
        }
      }
      if (rows[i].hidden === match) {
        rows[i].hidden = !match;
      }
      if (match) {
        count++;
      }
    }
    if (shown) {
      shown.textContent = String(count);
    }
    if (noMatch) {
      noMatch.hidden = count !== 0;
    }
  }

  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  // Clearing is done here, not by the browser's reset, so the rows follow at once.
  form.addEventListener("reset", function (event) {
    event.preventDefault();
    keys.forEach(function (key) {
      var select = form.elements.namedItem(key);
      if (select) {
        select.value = "";
      }
    });
    apply();
  });

  // A pillar card of the scorecard filters the table by its pillar.
  var cards = document.querySelectorAll("a.card[data-pillar]");
  Array.prototype.forEach.call(cards, function (card) {
    card.addEventListener("click", function () {
      var select = form.elements.namedItem("pillar");
      if (select) {
        select.value = card.getAttribute("data-pillar");
        apply();
      }
    });
  });
  apply();
})();
