/* A display equation wider than its column is shrunk to fit (CSS zoom), on screen and in print.

   MathJax cannot break a display equation across lines, so a wide one scrolls sideways on screen
   and is cut at the paper's edge in print. On load (once MathJax has typeset) and on every resize
   each display equation is fitted to its column; before printing, to the printed column, taken as
   PRINT_WIDTH px (A4 or Letter, portrait, the browser's default margins) less the equation's indent. */
(function () {
  var PRINT_WIDTH = 680;

  function fit(printing) {
    var article = document.querySelector('article') || document.body;
    var columnWidth = article.getBoundingClientRect().width;
    document.querySelectorAll('mjx-container[display="true"]').forEach(function (box) {
      box.style.zoom = '';
      var math = box.querySelector('mjx-math');
      if (!math) { return; }
      var room = box.getBoundingClientRect().width;
      if (printing) { room = PRINT_WIDTH - Math.max(0, columnWidth - room); }
      var wide = math.getBoundingClientRect().width;
      if (room > 0 && wide > room) {
        box.style.zoom = String(Math.floor(1000 * room / wide) / 1000);
      }
    });
  }

  function onScreen() { fit(false); }
  window.addEventListener('load', function () {
    var typeset = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    if (typeset) { typeset.then(onScreen, onScreen); } else { onScreen(); }
  });
  window.addEventListener('resize', onScreen);
  window.addEventListener('beforeprint', function () { fit(true); });
  window.addEventListener('afterprint', onScreen);
})();
