/** Review of suspected duplicates by kecamatan staff: decisions, merge/split, golden records. */
export { goldenRecord, goldenRecordOfOne, survivorship, stripTitles, type GoldenField, type GoldenRecord, type SourcePerson } from './goldenRecord.js';
export { refreshGoldenRecords } from './refreshGoldenRecords.js';
export { loadLinkedRecords, loadRecordPerson, personOut, type LinkedRecord } from './sourceRecords.js';
export { citizenRoots } from './citizenRoots.js';
export { heldApartPairs, pairKey, rejectedCandidates, rejectedPairs } from './rejectedPairs.js';
export { decideCase, joinCitizens, splitCase, IDENTITY_JOIN_ACTOR, IDENTITY_JOIN_REASON, type CitizenJoin, type Actor, type CaseOutcome, type CaseRow, type CaseStatus, type Decision, type MergeTrace } from './decideCase.js';
export { ReviewError, type ReviewErrorCode } from './reviewError.js';
export * from './caseQueries.js';
export { checkReason, type ReasonCheck } from './reason.js';
export { searchCitizens, type CitizenHit } from './citizenSearch.js';
