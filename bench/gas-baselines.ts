/**
 * The baselines of the gas figures, compiled here with solc (npm) against OpenZeppelin 5
 * from node_modules and run on an embedded chain of their own (same EDR, hardfork and
 * compiler settings as Sello's contracts):
 *
 * - `baseline_gas_mint_oz`: an OpenZeppelin ERC-721 with a stored token URI
 *   (ERC721URIStorage), one `mint` per token to a new holder with a 76-character URI,
 *   as a typical NFT badge contract does; gas per token.
 * - `baseline_gas_anchor_event`: the plainest on-chain record a verifier can find by
 *   credential hash: one indexed event per credential (`Anchored(bytes32 indexed)`),
 *   all of a batch's in one transaction; gas per credential.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { ContractFactory, Wallet, type Contract } from 'ethers';
import { EMBEDDED_SIGNER_KEY, startEmbeddedChain } from '../src/chain/embedded-chain.ts';

const require = createRequire(import.meta.url);

const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

contract BaselineBadge is ERC721URIStorage {
    constructor() ERC721("Baseline badge", "BADGE") {}
    function mint(address to, uint256 tokenId, string calldata uri) external {
        _mint(to, tokenId);
        _setTokenURI(tokenId, uri);
    }
}

contract BaselineAnchorEvents {
    event Anchored(bytes32 indexed leaf);
    function anchor(bytes32[] calldata leaves) external {
        for (uint256 i = 0; i < leaves.length; ++i) emit Anchored(leaves[i]);
    }
}
`;

function compile(): Record<string, { abi: object[]; bytecode: string }> {
  const solc = require('solc') as { compile(input: string, callbacks: object): string };
  const input = {
    language: 'Solidity',
    sources: { 'Baselines.sol': { content: SOURCE } },
    settings: { evmVersion: 'cancun', optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const findImports = (importPath: string) => {
    try {
      return { contents: fs.readFileSync(require.resolve(importPath), 'utf8') };
    } catch (error) {
      return { error: `cannot resolve ${importPath}: ${(error as Error).message}` };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as {
    errors?: Array<{ severity: string; formattedMessage: string }>;
    contracts: Record<string, Record<string, { abi: object[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((error) => error.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((error) => error.formattedMessage).join('\n'));
  const compiled: Record<string, { abi: object[]; bytecode: string }> = {};
  for (const [name, contract] of Object.entries(output.contracts['Baselines.sol']!)) compiled[name] = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  return compiled;
}

export async function measureGasBaselines(params: { mints: number; anchorBatch: number }): Promise<{ mintPerToken: number; anchorPerCredential: number }> {
  const compiled = compile();
  const chain = await startEmbeddedChain();
  try {
    const wallet = new Wallet(EMBEDDED_SIGNER_KEY, chain.provider);
    const deploy = async (name: string) => {
      const factory = new ContractFactory(compiled[name]!.abi as never, compiled[name]!.bytecode, wallet);
      const contract = (await factory.deploy()) as Contract;
      await contract.waitForDeployment();
      return contract;
    };
    const badge = await deploy('BaselineBadge');
    let mintGas = 0n;
    for (let i = 0; i < params.mints; i += 1) {
      // A 76-character URI, the length Sello's credential links have.
      const uri = `https://sello.example.edu/credentials/urn:uuid:${crypto.randomUUID()}`.padEnd(76, '0').slice(0, 76);
      const tx = await badge.getFunction('mint')(Wallet.createRandom().address, BigInt(`0x${crypto.randomBytes(32).toString('hex')}`), uri);
      mintGas += (await tx.wait())!.gasUsed;
    }
    const events = await deploy('BaselineAnchorEvents');
    const leaves = Array.from({ length: params.anchorBatch }, () => `0x${crypto.randomBytes(32).toString('hex')}`);
    const anchored = await (await events.getFunction('anchor')(leaves)).wait();
    return { mintPerToken: Number(mintGas) / params.mints, anchorPerCredential: Number(anchored!.gasUsed) / params.anchorBatch };
  } finally {
    await chain.close();
  }
}
