/**
 * A verification worker's memory of what it asked the main thread (DID documents,
 * status lists, chain reads), so that a busy verifier does not cross to the main thread,
 * its database and its chain for the same answers at every request.
 *
 * An answer is reused only under the same *version* of its source, which the main
 * thread reads fresh for each job (`freshRead`) and sends with it: the database's
 * fingerprint of keys and issuers for DIDs (a rotation or a key revocation, by this
 * process or another one such as `sello keys revoke`, changes it), of status groups for
 * status lists, the block for chain reads. A job without a version for a source asks
 * every time. Failed calls are never remembered.
 *
 * Nor are calls whose arguments are longer than `maxKeyLength` characters: a submitted
 * credential chooses the DIDs, URLs and anchor queries asked about, each up to the request
 * body limit (2 MB), and `maxEntries` of those would hold gigabytes in every worker. Sello's
 * own are a few hundred characters, and those are what is worth remembering.
 */
export interface RemoteAnswerCache {
  /** Calls `ask` unless an answer to `name(args)` under `version` is remembered. */
  answer(name: string, args: unknown[], version: string | null | undefined, ask: () => Promise<unknown>): Promise<unknown>;
  readonly size: number;
}

export function createRemoteAnswerCache(options: { maxEntries?: number; maxKeyLength?: number } = {}): RemoteAnswerCache {
  const maxEntries = options.maxEntries ?? 2000;
  const maxKeyLength = options.maxKeyLength ?? 2048;
  const entries = new Map<string, { version: string; answer: Promise<unknown> }>();
  return {
    answer(name, args, version, ask) {
      if (typeof version !== 'string') return ask();
      const key = `${name}\u0000${JSON.stringify(args)}`;
      if (key.length > maxKeyLength) return ask();
      const found = entries.get(key);
      if (found && found.version === version) return found.answer;
      const answer = ask();
      entries.delete(key);
      entries.set(key, { version, answer });
      // Oldest first (Map order); a source's old versions fall out as new ones come in.
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      answer.catch(() => {
        if (entries.get(key)?.answer === answer) entries.delete(key);
      });
      return answer;
    },
    get size() {
      return entries.size;
    },
  };
}
