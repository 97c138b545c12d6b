// Live preview of the badge designer. Served from /static: pages allow no inline script (CSP).
// Without JavaScript the "Preview" button does the same by a round trip.
(function () {
  document.querySelectorAll('form.badge-designer').forEach(function (form) {
    var preview = form.querySelector('#badge-preview');
    var base = form.getAttribute('data-preview');
    if (!preview || !base) return;
    var timer = null;
    var update = function () {
      var params = new URLSearchParams();
      ['shape', 'icon', 'background', 'accent', 'foreground', 'text'].forEach(function (name) {
        var field = form.elements.namedItem(name);
        if (field) params.set(name, field.value);
      });
      preview.src = base + '&' + params.toString();
    };
    form.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(update, 150);
    });
    form.addEventListener('change', update);
  });
})();
