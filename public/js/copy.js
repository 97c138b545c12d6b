// Copy buttons of the home page. Served from /static: pages allow no inline script (CSP).
// Without JavaScript the buttons stay hidden and the URLs remain selectable text.
(function () {
  var status = document.getElementById('copy-status');
  document.querySelectorAll('.copy-button').forEach(function (button) {
    var source = document.getElementById(button.getAttribute('data-copy'));
    if (!source) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var done = function () { if (status) status.textContent = status.getAttribute('data-copied'); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(source.value).then(done, function () { source.select(); });
      } else {
        source.select();
        document.execCommand('copy');
        done();
      }
    });
  });
})();
