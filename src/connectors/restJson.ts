import type { ResidentInput } from '../pipeline/intake/residents.js';
import { pathValue, requestJson } from './http.js';
import { commonSettingsProperties, SyncError, type CommonSettings, type Connector } from './types.js';

const FIELDS = ['localId', 'villageCode', 'nik', 'kk', 'fullName', 'sex', 'birthDate', 'birthPlace', 'religion', 'maritalStatus',
  'familyRole', 'education', 'occupation', 'citizenship', 'fatherName', 'motherName', 'address', 'dusun', 'rt', 'rw',
  'statusDasar', 'sourceUpdatedAt'] as const;

export interface RestJsonSettings extends CommonSettings {
  url: string;
  token?: string;
  recordsPath: string;
  pageParam: string;
  sizeParam: string;
  pageSize: number;
  /** Hub field → dotted path in each record; `{const: v}` for a fixed value. */
  mapping: Record<string, string | { const: unknown }>;
}

/**
 * Any JSON API that pages by number: records at `recordsPath`, each mapped field by field from config.
 * A page with fewer records than `pageSize` is the last one.
 */
export const restJsonConnector: Connector<RestJsonSettings> = {
  settingsSchema: {
    type: 'object',
    required: ['url', 'mapping'],
    additionalProperties: false,
    properties: {
      url: { type: 'string', pattern: '^https?://' },
      token: { type: 'string', writeOnly: true },
      recordsPath: { type: 'string', default: 'data' },
      pageParam: { type: 'string', default: 'page' },
      sizeParam: { type: 'string', default: 'per_page' },
      pageSize: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      mapping: {
        type: 'object',
        required: ['localId', 'fullName'],
        propertyNames: { enum: FIELDS },
        additionalProperties: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'object', required: ['const'], additionalProperties: false, properties: { const: {} } }] },
      },
      ...commonSettingsProperties,
    },
  },
  firstCursor: () => ({ page: 1 }),
  async check(source, s, env) {
    await this.fetchPage(source, { ...s, pageSize: 1 }, { page: 1 }, env);
    return { detail: 'the records URL answers' };
  },
  async fetchPage(source, s, cursor) {
    const url = new URL(s.url);
    url.searchParams.set(s.pageParam, String(cursor.page));
    url.searchParams.set(s.sizeParam, String(s.pageSize));
    const res = await requestJson(url.toString(), { headers: s.token ? { authorization: `Bearer ${s.token}` } : {}, timeoutMs: s.timeoutMs });
    if (res.status === 401 || res.status === 403) throw new SyncError('UNAUTHORIZED', `HTTP ${res.status}`, false);
    if (res.status >= 400) throw new SyncError('HTTP_ERROR', `HTTP ${res.status}`, false);
    const list = pathValue(res.body, s.recordsPath);
    if (!Array.isArray(list)) throw new SyncError('PAGE_INVALID', `no array at "${s.recordsPath}"`, true);
    const residents = list.map((item) => {
      const r: Record<string, unknown> = {};
      for (const [field, from] of Object.entries(s.mapping)) r[field] = typeof from === 'string' ? pathValue(item, from) : from.const;
      r.localId = r.localId == null ? '' : String(r.localId as string | number);
      r.villageCode = r.villageCode == null ? source.villageCode ?? '' : String(r.villageCode as string);
      return r as unknown as ResidentInput;
    });
    return { residents, next: list.length < s.pageSize ? null : { page: cursor.page + 1 } };
  },
};
