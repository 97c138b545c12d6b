// Served from /static so that pages need no 'unsafe-inline' in their Content-Security-Policy.
// LTI Client Side postMessages: keep the login state in the platform's storage frame,
// for browsers that block this iframe's cookies; then continue to the platform.
(function () {
  var d = document.getElementById('sello-storage').dataset;
  var frame = d.target === '_parent' ? window.parent : (window.parent.frames[d.target] || window.parent);
  var id = 'sello-' + Math.random().toString(36).slice(2);
  var done = false;
  function go() { if (!done) { done = true; window.location.href = d.location; } }
  window.addEventListener('message', function (event) {
    if (event.origin === d.origin && event.data && event.data.message_id === id) go();
  });
  try { frame.postMessage({ subject: 'lti.put_data', message_id: id, key: d.key, value: d.value }, d.origin); } catch (e) { go(); }
  setTimeout(go, 2000);
})();
