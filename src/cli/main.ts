/**
 * The `sello` command. Each subcommand lives in `src/cli/commands/NAME.ts` and exports
 * `register(program)`; this file only assembles them and turns errors into one line
 * and an exit code (2 for bad input or configuration, 1 for failures).
 */
import { Command, CommanderError } from 'commander';
import { AppError } from '../errors.ts';
import { VERSION } from '../version.ts';
import { register as registerServe } from './commands/serve.ts';
import { register as registerMigrate } from './commands/migrate.ts';
import { register as registerPlatforms } from './commands/platforms.ts';
import { register as registerLtiConfig } from './commands/lti-config.ts';
import { register as registerVerify } from './commands/verify.ts';
import { register as registerKeys } from './commands/keys.ts';
import { register as registerSync } from './commands/sync.ts';

export function buildProgram(): Command {
  const program = new Command('sello')
    .description('Sello: verifiable Open Badges 3.0 microcredentials from LMS course results')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerMigrate(program);
  registerPlatforms(program);
  registerLtiConfig(program);
  registerVerify(program);
  registerKeys(program);
  registerSync(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof AppError) {
      console.error(`sello: ${error.message}`);
      return error.code === 'invalid_config' || error.code.startsWith('invalid_') ? 2 : 1;
    }
    console.error(error);
    return 1;
  }
}
