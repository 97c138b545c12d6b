/** The jsonld operations compared for each corpus document; an error is an output too. */
import type { CorpusEntry } from './corpus.ts';

interface JsonLdProcessor {
  canonize(input: object, options: object): Promise<string>;
  expand(input: object, options: object): Promise<unknown>;
  compact(input: object, context: object, options: object): Promise<unknown>;
}

async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (error) {
    const details = (error as { details?: { code?: string } }).details;
    return { error: details?.code ?? (error as Error).message };
  }
}

export async function jsonldOutputs(jsonld: JsonLdProcessor, entry: CorpusEntry, documentLoader: unknown): Promise<Record<string, unknown>> {
  // Serialised first: a JSON round trip drops the `undefined` members of the corpus.
  const document = JSON.parse(JSON.stringify(entry.document)) as object;
  const options = { documentLoader, safe: true };
  const outputs: Record<string, unknown> = {
    nquads: await outcome(() => jsonld.canonize(document, { ...options, algorithm: 'RDFC-1.0', format: 'application/n-quads' })),
  };
  if (entry.expand) outputs.expanded = await outcome(() => jsonld.expand(document, options));
  if (entry.compactWith) outputs.compacted = await outcome(() => jsonld.compact(document, entry.compactWith!, options));
  return outputs;
}
