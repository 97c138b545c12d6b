// Served from /static so that pages need no 'unsafe-inline' in their Content-Security-Policy.
// Copies the credential's public link; without JavaScript (or clipboard access) the link
// stays selectable in its read-only field next to the button.
(function () {
  document.querySelectorAll('[data-copy-target]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var field = document.getElementById(button.getAttribute('data-copy-target'));
      var status = document.getElementById(button.getAttribute('data-copy-status'));
      var done = function () { if (status) status.textContent = button.getAttribute('data-copied'); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
      } else {
        field.select();
        document.execCommand('copy');
        done();
      }
    });
  });
})();
