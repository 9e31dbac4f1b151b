/** Why a delivery operation was refused; the API maps each code onto its HTTP answer and words. */
export type DeliveryErrorCode =
  | 'ITEM_NOT_FOUND' | 'ITEM_NOT_TAKEN' | 'ITEM_ANSWER_FINAL' | 'ITEM_STATUS_BACKWARD' | 'REASON_REQUIRED'
  | 'DOCUMENT_NUMBER_NOT_ALLOWED' | 'ENDPOINT_NOT_FOUND';

export class DeliveryError extends Error {
  constructor(readonly code: DeliveryErrorCode, readonly detail: Record<string, unknown> = {}) {
    super(code);
  }
}
