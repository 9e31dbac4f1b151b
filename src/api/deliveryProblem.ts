import { DeliveryError } from '../delivery/deliveryError.js';
import { HubError } from './problem.js';

/** A delivery domain refusal as problem+json, with its words in Indonesian and English. */
export function deliveryProblem(e: DeliveryError): HubError {
  const current = String(e.detail.current ?? '');
  switch (e.code) {
    case 'ITEM_NOT_FOUND': return new HubError(404, 'NOT_FOUND', { id: 'Item antrean tidak ditemukan.', en: 'Queue item not found.' }, 'id');
    case 'ENDPOINT_NOT_FOUND': return new HubError(404, 'NOT_FOUND', { id: 'Endpoint webhook tidak ditemukan.', en: 'Webhook endpoint not found.' }, 'id');
    case 'ITEM_NOT_TAKEN': return new HubError(409, 'ITEM_NOT_TAKEN',
      { id: 'Item belum diambil instansi (klaim atau terima lewat webhook dahulu).', en: 'The agency has not taken the item yet (claim it or receive it by webhook first).' }, 'id');
    case 'ITEM_ANSWER_FINAL': return new HubError(409, 'ITEM_ANSWER_FINAL',
      { id: `Item sudah berstatus akhir "${current}"; statusnya tidak dapat diubah lagi.`, en: `The item already has the final status "${current}"; it cannot change.` }, 'status');
    case 'ITEM_STATUS_BACKWARD': return new HubError(409, 'ITEM_STATUS_BACKWARD',
      { id: `Status tidak dapat mundur dari "${current}".`, en: `The status cannot go back from "${current}".` }, 'status');
    case 'REASON_REQUIRED': return new HubError(400, 'FIELD_REQUIRED',
      { id: 'Penolakan (ditolak) wajib disertai alasan.', en: 'A refusal (ditolak) needs a reason.' }, 'reason');
    case 'DOCUMENT_NUMBER_NOT_ALLOWED': return new HubError(400, 'DOCUMENT_NUMBER_NOT_ALLOWED',
      { id: 'Nomor dokumen hanya diisi bersama status selesai.', en: 'A document number goes only with the status selesai.' }, 'documentNumber');
  }
}

export function rethrowDelivery(err: unknown): never {
  if (err instanceof DeliveryError) throw deliveryProblem(err);
  throw err;
}
