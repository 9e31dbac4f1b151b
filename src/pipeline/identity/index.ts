/** Identity resolution for citizen records: pure functions and an in-memory index, no I/O. */
export type {
  Evidence, FieldEvidence, FieldName, GuardHit, GuardName, Outcome, PairDecision, PersonRecord,
} from './types.js';
export { jaro, jaroWinkler } from './jaroWinkler.js';
export {
  COMMON_NAME_PARTS, isPlainName, modernSpelling, nameInfo, nameParts, normalizeName, phoneticKey, phoneticToken,
  type NameInfo, type NameParts,
} from './names.js';
export {
  compareNikDigits, nikConsistency, parseKk, parseNik, type KkInfo, type NikConsistency, type NikInfo, type NikLevel,
} from './nik.js';
export { compareDates, formatYmd, isPlaceholderDate, parseDate, type DateLevel, type YMD } from './dates.js';
export {
  defaultIdentityConfig, resolveConfig, weightTable, type DeepPartial, type IdentityConfig, type LevelProbability,
  type WeightTable,
} from './config.js';
export { prepareRecord, type PreparedRecord } from './prepare.js';
export { compareMothers, compareNames, compareRecords, namesCompatible, type Comparison, type NameLevel } from './compare.js';
export { blockKeys, BlockIndex, hashKey } from './blocking.js';
export {
  decide, evidenceOf, NameFrequencies, pairGuards, scorePair, type ScoreContext, type ScoredPair,
} from './score.js';
export { IdentityIndex, type CandidateDecision, type IdentityIndexOptions, type ResolveOptions, type ResolveResult } from './incrementalIndex.js';
export { dedupe, nameFrequenciesOf, type DedupeOptions, type DedupeResult, type DedupeStats } from './batch.js';
export { blockingRecall, guardViolations, pairwiseQuality, type GuardViolations, type PairwiseQuality } from './evaluate.js';
export {
  estimateParameters, formatEstimate, type EstimateOptions, type EstimateResult, type LevelReport,
} from './estimate.js';
export { explainEvidence, type ExplainedLine } from './explain.js';
