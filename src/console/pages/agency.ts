import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../api/app.js';
import type { Kit } from '../kit.js';

export async function agencyPages(_app: FastifyInstance, _deps: AppDeps, _kit: Kit) {}
