import { regionDigits } from '../../config/regionCode.js';
import { DeliveryError } from '../../delivery/deliveryError.js';
import { endpointOut, listEndpoints, redeliver, rotateSecret, setEndpoint } from '../../delivery/endpoints.js';
import { OperationError, type Operation } from './operation.js';

export interface WebhookSet { agency?: string; kecamatan?: string; village?: string; url: string; maxInFlight?: number }
export interface WebhookWithSecret { endpoint: ReturnType<typeof endpointOut>; created: boolean; secret: string }

const refuse = (code: string, id: string, en: string) => new OperationError(code, { id, en }, 2);

/** An agency's (or one kecamatan office's) or a village system's push endpoint; a new one gets its secret here. */
export const setWebhookOperation: Operation<WebhookSet, WebhookWithSecret> = {
  needs: 'database',
  async run(c, input) {
    if (!/^https?:\/\/\S+$/.test(input.url)) throw refuse('URL_INVALID', '--url harus URL http(s).', '--url must be an http(s) URL.');
    let result;
    if (input.agency !== undefined) {
      if (!c.config.agencies.has(input.agency)) throw refuse('AGENCY_UNKNOWN', `Instansi "${input.agency}" tidak dikenal (lihat config/agencies.json).`, `Unknown agency "${input.agency}" (see config/agencies.json).`);
      let kecamatan: string | null = null;
      if (input.kecamatan !== undefined) {
        kecamatan = regionDigits(input.kecamatan);
        if (!kecamatan || !c.config.kecamatans.has(kecamatan)) throw refuse('KECAMATAN_UNKNOWN', `Kecamatan "${input.kecamatan}" tidak dikenal.`, `Unknown kecamatan "${input.kecamatan}".`);
      }
      result = await setEndpoint(c.db, { kind: 'agency', agency: input.agency, kecamatan }, input.url, c.actor, input.maxInFlight);
    } else if (input.village !== undefined) {
      const village = regionDigits(input.village);
      if (!village || !c.config.villages.has(village)) throw refuse('VILLAGE_UNKNOWN', `"${input.village}" bukan tiyuh atau kelurahan di 18.12.`, `"${input.village}" is not a tiyuh or kelurahan of 18.12.`);
      result = await setEndpoint(c.db, { kind: 'village', village }, input.url, c.actor);
    } else throw refuse('TARGET_REQUIRED', 'Sebutkan --agency atau --village.', 'Give --agency or --village.');
    return { endpoint: endpointOut(result.endpoint), created: result.created, secret: result.endpoint.secret };
  },
};

export const listWebhooksOperation: Operation<Record<string, never>, Awaited<ReturnType<typeof listEndpoints>>> = {
  needs: 'database',
  run: (c) => listEndpoints(c.db),
};

export const rotateWebhookOperation: Operation<{ id: number; graceHours: number }, WebhookWithSecret> = {
  needs: 'database',
  async run(c, input) {
    try {
      const e = await rotateSecret(c.db, input.id, input.graceHours, c.actor);
      return { endpoint: endpointOut(e), created: false, secret: e.secret };
    } catch (err) {
      if (err instanceof DeliveryError && err.code === 'ENDPOINT_NOT_FOUND') throw refuse('ENDPOINT_NOT_FOUND', `Endpoint #${input.id} tidak ada.`, `No endpoint #${input.id}.`);
      throw err;
    }
  },
};

export const redeliverWebhooksOperation: Operation<{ agency?: string; endpointId?: number }, { requeued: number }> = {
  needs: 'database',
  run: (c, input) => redeliver(c.db, input, c.actor),
};
