/**
 * The admin page shows the consortium trust lists (TRUST_LISTS) the institution is on:
 * lists deployed on the embedded chain, read through `GET /admin/api/trust-lists`.
 */
import { signInAsAdmin } from '../support/admin-sign-in.ts';
import fs from 'node:fs';
import { Contract, ContractFactory, JsonRpcProvider, Network, Wallet, getCreateAddress, parseEther, toBeHex } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustListArtifact } from '../../src/chain/registry-contract.ts';
import { readTrustListMemberships } from '../../src/chain/trust-list-memberships.ts';
import { startSello, type RunningSello } from '../../src/server.ts';
import { makeTempDir, testConfig } from '../support/config.ts';

const admin = { authorization: 'Bearer test-admin-token-0123456789abcdef' };

interface Answer {
  issuers: Array<{ slug: string; did: string }>;
  lists: Array<{ list: string; ok: boolean; name?: string; code?: string; memberships?: Array<{ did: string; member: boolean; since: string | null }> }>;
}

describe('the trust lists on the admin page', () => {
  const dataDir = makeTempDir();
  // The consortium's own key: its lists' addresses follow from its nonces, so TRUST_LISTS
  // can name them before Sello (and its embedded chain) starts.
  const council = Wallet.createRandom();
  const member = `eip155:31337:${getCreateAddress({ from: council.address, nonce: 0 })}`;
  const elsewhere = `eip155:31337:${getCreateAddress({ from: council.address, nonce: 1 })}`;
  const notAList = `eip155:31337:${getCreateAddress({ from: council.address, nonce: 2 })}`;
  const noContract = 'eip155:31337:0x000000000000000000000000000000000000dEaD';
  const otherChain = 'eip155:1:0x5FbDB2315678afecb367f032d93F642f64180aa3';
  let sello: RunningSello;
  let base: string;
  let did: string;

  beforeAll(async () => {
    sello = await startSello({
      config: testConfig({ SELLO_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', TRUST_LISTS: [member, elsewhere, notAList, noContract, otherChain].join(',') }),
      announce: () => {},
    });
    base = `http://127.0.0.1:${sello.port}`;
    did = ((await (await fetch(`${base}/.well-known/did.json`)).json()) as { id: string }).id;
    const embedded = sello.chain.embedded!;
    await embedded.request({ method: 'hardhat_setBalance', params: [council.address, toBeHex(parseEther('10'))] });
    const signer = council.connect(embedded.provider);
    const deployList = async (name: string) => {
      const deployed = await new ContractFactory(trustListArtifact.abi, trustListArtifact.bytecode, signer).deploy(name, council.address);
      await deployed.waitForDeployment();
      return deployed.getAddress();
    };
    // In nonce order (the addresses in TRUST_LISTS above), then the member is added.
    const listAddress = await deployList('Regional Council of Universities');
    await deployList('Council of Elsewhere');
    // A contract that answers nothing to every call (runtime code: STOP).
    await (await signer.sendTransaction({ data: '0x600160006000f3' })).wait();
    await (await new Contract(listAddress, trustListArtifact.abi, signer).getFunction('addMember')(did)).wait();
  }, 120_000);

  afterAll(async () => {
    await sello.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('requires the admin token', async () => {
    const res = await fetch(`${base}/admin/api/trust-lists`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'unauthorized' });
  });

  it('reports the list name and that the issuer DID is a member since it was added', async () => {
    const res = await fetch(`${base}/admin/api/trust-lists`, { headers: admin });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    expect(answer.issuers).toEqual([{ slug: 'default', did }]);
    expect(answer.lists.map((entry) => entry.list)).toEqual([member, elsewhere, notAList, noContract, otherChain]);
    expect(answer.lists[0]).toEqual({
      list: member,
      ok: true,
      name: 'Regional Council of Universities',
      memberships: [{ did, member: true, since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }],
    });
  });

  it('reports a list that does not name the issuer as not a member', async () => {
    const answer = (await (await fetch(`${base}/admin/api/trust-lists`, { headers: admin })).json()) as Answer;
    expect(answer.lists[1]).toEqual({ list: elsewhere, ok: true, name: 'Council of Elsewhere', memberships: [{ did, member: false, since: null }] });
  });

  it('reports a bad address as an error entry with a code, not a failed request', async () => {
    const answer = (await (await fetch(`${base}/admin/api/trust-lists`, { headers: admin })).json()) as Answer;
    expect(answer.lists[2]).toMatchObject({ list: notAList, ok: false, code: 'not_a_trust_list' });
    expect(answer.lists[3]).toMatchObject({ list: noContract, ok: false, code: 'not_a_trust_list' });
    expect(answer.lists[4]).toMatchObject({ list: otherChain, ok: false, code: 'wrong_chain' });
  });

  it('reports every list as chain_unreachable when the RPC does not answer', async () => {
    const dead = new JsonRpcProvider('http://127.0.0.1:9/', Network.from(31337), { staticNetwork: true });
    try {
      const lists = await readTrustListMemberships({ provider: dead, lists: [member], dids: [did] });
      expect(lists).toEqual([{ list: member, ok: false, code: 'chain_unreachable', message: expect.stringMatching(/did not answer/) }]);
    } finally {
      dead.destroy();
    }
    expect(await readTrustListMemberships({ provider: null, lists: [member], dids: [did] })).toMatchObject([{ code: 'chain_unreachable' }]);
  });

  it('serves the page in English and Spanish to the signed-in admin, rendered on the server', async () => {
    const anonymous = await fetch(`${base}/admin/trust-lists`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    const { cookie } = await signInAsAdmin(base, admin.authorization.slice('Bearer '.length));
    for (const [language, title, member] of [
      ['en', 'Trust lists', 'Member since'],
      ['es', 'Listas de confianza', 'Miembro desde'],
    ]) {
      const res = await fetch(`${base}/admin/trust-lists`, { headers: { cookie, 'accept-language': language! } });
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain(`<h1>${title}</h1>`);
      expect(html).toContain('Regional Council of Universities');
      expect(html).toContain(member);
      expect(html).toContain(did);
      // Content-Security-Policy allows no inline code, and the page needs none.
      expect(res.headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
      expect(html).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
    }
  });

  it('shows the chain page to the signed-in admin: network, contract, signer and its balance', async () => {
    const { cookie } = await signInAsAdmin(base, admin.authorization.slice('Bearer '.length));
    const chain = sello.chain;
    for (const [language, words] of [
      ['en', ['Embedded test chain', 'Paying account', ' ETH']],
      ['es', ['Cadena de pruebas integrada', 'Cuenta que paga', ' ETH']],
    ] as const) {
      const res = await fetch(`${base}/admin/chain`, { headers: { cookie, 'accept-language': language } });
      expect(res.status).toBe(200);
      const html = await res.text();
      for (const word of words) expect(html).toContain(word);
      expect(html).toContain(chain.contractAddress);
      expect(html).toContain(chain.signer);
      expect(html).toContain(`${language === 'es' ? 'id de cadena' : 'chain id'} ${chain.chainId}`);
      // The balance as a person reads an amount: the page's decimal mark, grouped thousands, no 18 decimals.
      const balance = /<dd>([^<]*) ETH<\/dd>/.exec(html)?.[1];
      expect(balance, language).toMatch(language === 'es' ? /^\d{1,3}(\.\d{3})*(,\d{1,6})?$/ : /^\d{1,3}(,\d{3})*(\.\d{1,6})?$/);
    }
  });
});
