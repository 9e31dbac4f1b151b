import { dottedRegion, regionDigits } from '../../config/regionCode.js';
import type { HubConfig } from '../../config/load.js';
import { createKey, type Role } from '../../api/keys.js';
import { OperationError, type Operation } from './operation.js';

export interface KeyRequest {
  role: Exclude<Role, 'opendk'> | 'opendk';
  village?: string;
  kecamatan?: string;
  agency?: string;
  label?: string;
}

export interface KeyCreated { id: number; role: Role; scope: string; secret: string }

function village(config: HubConfig, code: string): string {
  const digits = regionDigits(code) ?? '';
  if (!config.villages.has(digits)) {
    throw new OperationError('VILLAGE_UNKNOWN', { id: `"${code}" bukan tiyuh atau kelurahan di 18.12.`, en: `"${code}" is not a tiyuh or kelurahan of 18.12.` }, 2);
  }
  return digits;
}

function kecamatan(config: HubConfig, code: string): string {
  const digits = regionDigits(code) ?? '';
  if (!config.kecamatans.has(digits)) {
    throw new OperationError('KECAMATAN_UNKNOWN', { id: `Kecamatan "${code}" tidak dikenal.`, en: `Unknown kecamatan "${code}".` }, 2);
  }
  return digits;
}

/** API keys and OpenDK tokens: only the hash is stored, so the secret is answered once. */
export const createKeyOperation: Operation<KeyRequest, KeyCreated> = {
  needs: 'database',
  async run(c, input) {
    const villageCode = input.village !== undefined ? village(c.config, input.village) : undefined;
    const kecamatanCode = input.kecamatan !== undefined ? kecamatan(c.config, input.kecamatan) : undefined;
    if (input.agency !== undefined && !c.config.agencies.has(input.agency)) {
      throw new OperationError('AGENCY_UNKNOWN', { id: `Instansi "${input.agency}" tidak dikenal (lihat config/agencies.json).`, en: `Unknown agency "${input.agency}" (see config/agencies.json).` }, 2);
    }
    const key = await createKey(c.db, { role: input.role, villageCode, kecamatanCode, agencyCode: input.agency, label: input.label });
    const scope = input.role === 'opendk'
      ? villageCode ? `village ${dottedRegion(villageCode)}` : `every village of kecamatan ${dottedRegion(kecamatanCode!)}`
      : villageCode ? dottedRegion(villageCode)
        : input.agency ? `${input.agency}${kecamatanCode ? ` @ ${dottedRegion(kecamatanCode)}` : ''}`
          : kecamatanCode ? dottedRegion(kecamatanCode) : 'all';
    return { id: key.id, role: input.role, scope, secret: key.secret };
  },
};
