/**
 * The `sello` command. Each subcommand lives in `src/cli/commands/NAME.ts` and exports
 * `register(program)`; this file only assembles them and turns errors into one line
 * and an exit code (2 for bad input or configuration, 1 for failures).
 */
import { Command, CommanderError } from 'commander';
import { AppError } from '../errors.ts';
import { VERSION } from '../version.ts';

type CommandModule = { register(program: Command): void };

/**
 * Subcommands load only when named: `sello verify` must not pay for the server, LTI
 * and chain modules (seconds of start-up) that it never uses.
 */
const commandModules: Record<string, () => Promise<CommandModule>> = {
  serve: () => import('./commands/serve.ts'),
  migrate: () => import('./commands/migrate.ts'),
  platforms: () => import('./commands/platforms.ts'),
  'lti-config': () => import('./commands/lti-config.ts'),
  verify: () => import('./commands/verify.ts'),
  keys: () => import('./commands/keys.ts'),
  sync: () => import('./commands/sync.ts'),
};

/** The program with the subcommands `argv` needs: the one it names, serve by default, all for help. */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('sello')
    .description('Sello: verifiable Open Badges 3.0 microcredentials from LMS course results')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  const named = argv.find((arg) => !arg.startsWith('-'));
  const wanted =
    named && named in commandModules
      ? [named]
      : argv.length === 0
        ? ['serve']
        : argv.some((arg) => arg === '--version' || arg === '-V')
          ? []
          : Object.keys(commandModules);
  for (const name of wanted) (await commandModules[name]!()).register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const named = argv.find((arg) => !arg.startsWith('-'));
  if (named && !(named in commandModules)) {
    console.error(`sello: unknown command '${named}'. Commands: ${Object.keys(commandModules).join(', ')} (sello --help).`);
    return 2;
  }
  const program = await buildProgram(argv);
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
