// Tables drawn as cards on a phone (site.css, "Tables on phones") keep their roles:
// some screen readers lose a table's rows and headers once CSS displays it as blocks,
// so the roles the markup already implies are written out.
(function () {
  'use strict';
  var CELL = { col: 'columnheader', row: 'rowheader' };
  document.querySelectorAll('table.cards').forEach(function (table) {
    table.setAttribute('role', 'table');
    Array.prototype.forEach.call(table.children, function (part) {
      if (/^T(HEAD|BODY|FOOT)$/.test(part.tagName)) part.setAttribute('role', 'rowgroup');
    });
    Array.prototype.forEach.call(table.rows, function (row) {
      row.setAttribute('role', 'row');
      Array.prototype.forEach.call(row.cells, function (cell) {
        var scope = cell.tagName === 'TH' ? cell.getAttribute('scope') || 'col' : null;
        cell.setAttribute('role', scope ? CELL[scope] || 'columnheader' : 'cell');
      });
    });
  });
})();
