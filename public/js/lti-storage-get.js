// Served from /static so that pages need no 'unsafe-inline' in their Content-Security-Policy.
// LTI Client Side postMessages: read back the state kept in the platform's storage frame
// (this iframe's cookies were blocked) and finish the launch with it.
(function () {
  var d = document.getElementById('sello-storage').dataset;
  var form = document.getElementById('sello-launch');
  var frame = d.target === '_parent' ? window.parent : (window.parent.frames[d.target] || window.parent);
  var id = 'sello-' + Math.random().toString(36).slice(2);
  var settled = false;
  function fallback() { if (!settled) { settled = true; document.getElementById('sello-fallback').hidden = false; } }
  window.addEventListener('message', function (event) {
    var data = event.data || {};
    if (settled || event.origin !== d.origin || data.message_id !== id) return;
    if (data.subject !== 'lti.get_data.response' || !data.value) return fallback();
    settled = true;
    form.elements.sello_storage_proof.value = data.value;
    form.submit();
  });
  try { frame.postMessage({ subject: 'lti.get_data', message_id: id, key: d.key }, d.origin); } catch (e) { fallback(); }
  setTimeout(fallback, 3000);
})();
