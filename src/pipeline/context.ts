import type { HubConfig } from '../config/load.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../runtime/logger.js';
import type { StageQueues } from './queues.js';

/** What every stage needs; built once per process. */
export interface PipelineContext {
  db: Db;
  config: HubConfig;
  queues: StageQueues;
  log: Logger;
}
