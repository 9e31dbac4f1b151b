import { loadEnv } from '../../config/env.js';
import { openDatabase } from '../../db/client.js';

export default async function migrate(_argv: string[]): Promise<number> {
  const env = loadEnv();
  const database = await openDatabase(env.databaseUrl, env.dataDir, { max: 1 });
  try {
    await database.migrate();
    console.log(`migrations applied to ${database.describe}`);
  } finally {
    await database.close();
  }
  return 0;
}
