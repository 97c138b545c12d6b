/**
 * JSON-RPC endpoints the verifier page suggests for a credential's chain: the issuing
 * deployment's own (`/chain/rpc`) while it runs, then free public endpoints of the
 * chain, so that a credential stays checkable when its issuer's server is gone. Any
 * endpoint of the chain gives the same answers; the page lets the user type another.
 *
 * https://chainlist.org lists more; https://github.com/ChainAgnostic/CAIPs/blob/main/CAIPs/caip-2.md
 */

/** Public endpoints by EIP-155 chain id (keyless, CORS-enabled, well-known operators). */
export const PUBLIC_RPC_ENDPOINTS: Readonly<Record<number, readonly string[]>> = {
  1: ['https://ethereum-rpc.publicnode.com', 'https://cloudflare-eth.com'],
  11155111: ['https://ethereum-sepolia-rpc.publicnode.com', 'https://rpc.sepolia.org'],
  17000: ['https://ethereum-holesky-rpc.publicnode.com'],
  10: ['https://mainnet.optimism.io'],
  11155420: ['https://sepolia.optimism.io'],
  8453: ['https://mainnet.base.org'],
  84532: ['https://sepolia.base.org'],
  42161: ['https://arb1.arbitrum.io/rpc'],
  421614: ['https://sepolia-rollup.arbitrum.io/rpc'],
  137: ['https://polygon-rpc.com'],
  80002: ['https://rpc-amoy.polygon.technology'],
  100: ['https://rpc.gnosischain.com'],
  10200: ['https://rpc.chiadochain.net'],
  // A local development node (Hardhat, Anvil).
  31337: ['http://127.0.0.1:8545'],
};

/** What a Sello deployment tells the page it serves: its chain and its read-only endpoint. */
export interface DeploymentChain {
  chainId: number;
  rpcUrl: string;
}

/** Endpoints for `chainId`, best first: the deployment's when it is that chain, then public ones. */
export function rpcSuggestions(chainId: number | null, deployment: DeploymentChain | null): string[] {
  const suggestions: string[] = [];
  if (deployment && (chainId === null || deployment.chainId === chainId)) suggestions.push(deployment.rpcUrl);
  if (chainId !== null) suggestions.push(...(PUBLIC_RPC_ENDPOINTS[chainId] ?? []));
  return [...new Set(suggestions)];
}
