/* Code that wraps keeps its indentation: a long line of a code cell continues under its own
   indentation plus four columns (a hanging indent), not at the left edge, so a wrapped line still
   reads as one statement of its block.

   Each line of a highlighted block becomes a <span class="ardemo-line"> whose padding and negative
   text-indent depend on the line's leading spaces. Pygments writes flat token spans, so a token that
   holds a line break is split into copies. The text, newlines included, is unchanged: copying the
   code copies the same characters. */
(function () {
  var HANG = 4; // extra columns for continuation lines

  function splitLines(pre) {
    var lines = [[]];
    Array.prototype.slice.call(pre.childNodes).forEach(function (node) {
      var parts = node.textContent.split('\n');
      parts.forEach(function (part, i) {
        if (i > 0) {
          lines[lines.length - 1].push(document.createTextNode('\n'));
          lines.push([]);
        }
        if (!part) { return; }
        if (node.nodeType === Node.TEXT_NODE) {
          lines[lines.length - 1].push(document.createTextNode(part));
        } else {
          var copy = node.cloneNode(false);
          copy.textContent = part;
          lines[lines.length - 1].push(copy);
        }
      });
    });
    return lines;
  }

  function hang(pre) {
    if (pre.dataset.ardemoHanging) { return; }
    pre.dataset.ardemoHanging = '1';
    var lines = splitLines(pre);
    while (pre.firstChild) { pre.removeChild(pre.firstChild); }
    lines.forEach(function (nodes) {
      if (!nodes.length) { return; }
      var line = document.createElement('span');
      line.className = 'ardemo-line';
      var text = nodes.map(function (n) { return n.textContent; }).join('');
      var lead = text.match(/^ */)[0].length;
      line.style.paddingLeft = (lead + HANG) + 'ch';
      line.style.textIndent = '-' + (lead + HANG) + 'ch';
      nodes.forEach(function (n) { line.appendChild(n); });
      pre.appendChild(line);
    });
  }

  function run() {
    document.querySelectorAll('div.cell div.highlight pre, article div.highlight pre').forEach(hang);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', run);
  } else {
    run();
  }
})();
