// Served from /static so that pages need no 'unsafe-inline' in their Content-Security-Policy.
document.getElementById('sello-deep-link').submit();
