import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startSello } from '../../src/server.ts';
import { createSettingsRepository } from '../../src/storage/settings-repository.ts';
import { loadConfig } from '../../src/config.ts';
import { makeTempDir } from '../support/config.ts';

const dataDir = makeTempDir();
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('the Sello server on the embedded database', () => {
  it('serves /health, generates secrets once, and keeps data across a restart', async () => {
    const config = loadConfig({ SELLO_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' });
    const lines: string[] = [];
    const first = await startSello({ config, announce: (line) => lines.push(line) });
    try {
      expect(lines.join('\n')).toMatch(/Generated ADMIN_TOKEN and SELLO_KEK/);
      expect(lines.at(-1)).toMatch(new RegExp(`is running at http://localhost:${first.port} \\(database: embedded`));
      const health = await fetch(`${first.url}/health`).then((res) => res.json());
      expect(health).toMatchObject({ status: 'ok', database: { kind: 'embedded' }, chain: { kind: 'embedded' } });
      await createSettingsRepository(first.db).set('survives', 'restart');
    } finally {
      await first.close();
    }
    expect((fs.statSync(`${dataDir}/secrets.json`).mode & 0o777).toString(8)).toBe('600');

    const again: string[] = [];
    const second = await startSello({ config, announce: (line) => again.push(line) });
    try {
      expect(again.join('\n')).not.toMatch(/Generated/);
      expect(await createSettingsRepository(second.db).get('survives')).toBe('restart');
    } finally {
      await second.close();
    }
  });
});
