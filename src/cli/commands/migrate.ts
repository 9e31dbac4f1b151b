import { loadEnv } from '../../config/env.js';
import { invoke } from '../control/client.js';

export default async function migrate(): Promise<number> {
  const { database } = await invoke(loadEnv(), 'migrate', {});
  console.log(`migrations applied to ${database}`);
  return 0;
}
