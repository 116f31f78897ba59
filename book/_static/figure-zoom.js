/* Every output figure opens at full size when clicked or tapped: on a phone a wide figure is shown
   at a fraction of its width, and the reader can open it alone and zoom. */
(function () {
  function run() {
    document.querySelectorAll('div.cell_output img, div.output img, figure img').forEach(function (img) {
      var src = img.getAttribute('src');
      if (!src || src.indexOf('data:') === 0 || img.closest('a[href]')) { return; }
      var link = document.createElement('a');
      link.href = src;
      link.className = 'ardemo-zoom';
      link.title = 'Open the figure at full size';
      img.parentNode.insertBefore(link, img);
      link.appendChild(img);
    });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', run);
  } else {
    run();
  }
})();
