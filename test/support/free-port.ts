import net from 'node:net';

/**
 * A TCP port free on 127.0.0.1 right now, for a server a test starts in another process or
 * through a config that needs its port before it listens (PUBLIC_URL names it).
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
