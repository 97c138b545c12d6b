/**
 * An external EVM node in a process of its own (`node bin/run-ts.js
 * test/support/rpc-node-process.ts [funded address …]`): an EDR chain served over HTTP
 * JSON-RPC, with the addresses given funded. Prints one JSON line `{"url": …}` once it
 * listens; stops on SIGTERM or when its stdin closes (the test process died).
 */
import { startRpcNode } from '../integration/chain-rpc-node.ts';

const node = await startRpcNode({ fundedAccounts: process.argv.slice(3) });
process.stdout.write(`${JSON.stringify({ url: node.url })}\n`);
const stop = async () => {
  await node.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
