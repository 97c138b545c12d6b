/**
 * The baseline of the HTTP figures: a bare express 5 app (the framework Sello is built
 * on, with the same JSON body parser and limit) whose routes answer at once. What it
 * serves per second on this machine is what express and loopback HTTP allow; Sello's
 * figure divided by it is how much of that Sello's own work leaves.
 */
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '1mb' }));
app.get('/health', (_req, res) => {
  res.json({ status: 'ok' });
});
// Same method and path as Sello's verifier; reads the body, answers a fixed report.
app.post('/credentials/verify', (req, res) => {
  const credential = (req.body as { verifiableCredential?: { id?: unknown } } | undefined)?.verifiableCredential;
  res.json({ verified: true, credentialId: credential?.id ?? null, checks: [] });
});
// Same path shape as Sello's credential page; a small fixed page.
app.get('/credentials/:id', (req, res) => {
  res.type('html').send(`<!doctype html><html lang="en"><head><title>Credential</title></head><body><h1>${encodeURIComponent(req.params.id)}</h1></body></html>`);
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
