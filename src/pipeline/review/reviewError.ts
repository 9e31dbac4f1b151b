/** Why a review decision was refused; the API maps each code onto its HTTP answer. */
export type ReviewErrorCode = 'CASE_NOT_FOUND' | 'CASE_ALREADY_DECIDED' | 'CASE_NOT_MERGED' | 'MERGE_RECORD_MISSING';

export class ReviewError extends Error {
  constructor(readonly code: ReviewErrorCode, readonly caseId: number, readonly currentStatus?: string) {
    super(`${code} (case ${caseId}${currentStatus ? `, status ${currentStatus}` : ''})`);
  }
}
