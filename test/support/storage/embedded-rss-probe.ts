/**
 * Opens (creating it if new) and migrates the embedded database in the folder named by the last
 * argument, as `npm start` does, and prints this process's resident memory as JSON: the
 * embedded database's memory measured in a process of its own.
 */
import { openDatabase } from '../../../src/storage/database.ts';
import { migrate } from '../../../src/storage/migrate.ts';

const db = await openDatabase({ kind: 'embedded', dataDir: process.argv.at(-1)! });
await migrate(db);
const { rows } = await db.query<{ shared_buffers: string }>("SELECT current_setting('shared_buffers') AS shared_buffers");
await db.close();
console.log(JSON.stringify({ rssMb: Math.round(process.memoryUsage().rss / 1e6), sharedBuffers: rows[0]!.shared_buffers }));
