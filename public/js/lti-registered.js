// Served from /static so that pages need no 'unsafe-inline' in their Content-Security-Policy.
// LTI Dynamic Registration §3.6: tell the LMS the registration window may close.
(function () {
  function close() { (window.opener || window.parent).postMessage({ subject: 'org.imsglobal.lti.close' }, '*'); }
  document.getElementById('sello-close').addEventListener('click', close);
  setTimeout(close, 4000);
})();
