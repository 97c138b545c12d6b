/**
 * A stand-in for an external EVM node: an EDR chain served over HTTP JSON-RPC (all
 * methods, writes included), which can be stopped and restarted on the same port to
 * play "RPC down". Sello talks to it in production (`CHAIN_RPC_URL`) mode exactly as
 * it would talk to geth or a hosted endpoint.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmbeddedChain, type EmbeddedChain } from '../../src/chain/embedded-chain.ts';

export interface RpcNode {
  url: string;
  chain: EmbeddedChain;
  /** Stops answering (connections refused); the chain keeps its state. */
  stop(): Promise<void>;
  /** Answers again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startRpcNode(params: { fundedAccounts?: string[] } = {}): Promise<RpcNode> {
  const chain = await startEmbeddedChain({ fundedAccounts: params.fundedAccounts });
  let server: http.Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = http.createServer((req, res) => {
        // As geth (--http.corsdomain), Hardhat and Anvil answer browsers: a verifier page may call it.
        res.setHeader('access-control-allow-origin', '*');
        if (req.method === 'OPTIONS') {
          res.writeHead(204, { 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type' }).end();
          return;
        }
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', async () => {
          try {
            const parsed = JSON.parse(body);
            const one = async (call: { id: unknown; method: string; params?: unknown[] }) => {
              const answer = await chain.request({ method: call.method, params: call.params ?? [] });
              return { jsonrpc: '2.0', id: call.id, ...answer };
            };
            const out = Array.isArray(parsed) ? await Promise.all(parsed.map(one)) : await one(parsed);
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
          } catch (error) {
            res.writeHead(500).end(String(error));
          }
        });
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
      server = null;
    });
  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    chain,
    stop,
    start: listen,
    async close() {
      await stop();
      await chain.close();
    },
  };
}
