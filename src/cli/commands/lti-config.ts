import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { canvasGuide, canvasJson, moodleGuide } from '../../lti/install-guides.ts';

/** `sello lti-config [--out DIR]`: writes the LMS install files for this deployment's PUBLIC_URL. */
export function register(program: Command): void {
  program
    .command('lti-config')
    .description('Write lti-config/canvas.json, moodle.md and canvas.md with this deployment\'s URLs (PUBLIC_URL)')
    .option('--out <dir>', 'folder to write into', 'lti-config')
    .action((options: { out: string }) => {
      const config = loadConfig(process.env);
      const out = path.resolve(options.out);
      fs.mkdirSync(out, { recursive: true });
      const files: Array<[string, string]> = [
        ['canvas.json', canvasJson(config.publicUrl)],
        ['moodle.md', moodleGuide(config.publicUrl)],
        ['canvas.md', canvasGuide(config.publicUrl)],
      ];
      for (const [name, content] of files) fs.writeFileSync(path.join(out, name), content);
      console.log(`Wrote ${files.map(([name]) => path.join(options.out, name)).join(', ')} for ${config.publicUrl}`);
      console.log(`Moodle Dynamic Registration URL: ${config.publicUrl}/lti/register`);
      console.log(`Canvas developer-key JSON URL:   ${config.publicUrl}/lti/canvas.json`);
    });
}
