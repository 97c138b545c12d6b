import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { startSello } from '../../server.ts';

export function register(program: Command): void {
  program
    .command('serve', { isDefault: true })
    .description('Run the Sello server (embedded database and chain unless DATABASE_URL / CHAIN_RPC_URL are set)')
    .action(async () => {
      const config = loadConfig(process.env);
      const sello = await startSello({ config });
      let signals = 0;
      const shutdown = (signal: string) => {
        signals += 1;
        if (signals > 1) process.exit(130);
        sello.log.info({ signal }, 'shutting down: finishing in-flight work');
        sello.close().then(
          () => process.exit(0),
          (error) => {
            sello.log.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      // Keep the action pending: the process lives until a signal arrives.
      await new Promise(() => {});
    });
}
