import { sql } from 'drizzle-orm';
import { rows, type Tx } from '../../db/client.js';
import { rejectedCandidates } from '../review/index.js';
import { IdentityIndex, prepareRecord, type PersonRecord } from '../identity/index.js';
import type { DeepPartial, Evidence, IdentityConfig } from '../identity/index.js';
import type { RecordKind } from '../queues.js';
import type { CitizenRef, IdentityDecision, IdentityInput, Person, Resolver } from './identify.js';

interface LinkedRow { crid: number; citizen_id: number; record_kind: RecordKind; record_id: number; person: Person }

const TEMP = 'n:';

/**
 * The link keeps levels and weights only: the values compared are the records themselves, and
 * repeating them in every link would double what identify writes.
 */
function compact(e: Evidence): unknown {
  return { score: e.score, fields: e.fields.map((f) => ({ field: f.field, level: f.level, weight: f.weight, ...(f.note ? { note: f.note } : {}) })), guards: e.guards };
}

function personRecord(kind: RecordKind, id: number, p: Person): PersonRecord {
  return {
    id: `${kind}:${id}`, fullName: p.fullName, nik: p.nik, kk: p.kk, sex: p.sex, birthDate: p.birthDate,
    birthPlace: p.birthPlace, motherName: p.motherName, address: p.address, villageCode: p.villageCode,
  };
}

/**
 * The identify stage's resolver on the matching engine: an in-memory index of every linked record,
 * loaded from Postgres once and then kept current from citizen_records by id watermark (identify
 * batches are serialized by an advisory lock, so the watermark read inside a batch is exact). A
 * reviewer's decision moves records between citizens, so it triggers a full reload; a rolled-back
 * batch drops the index, which is rebuilt on the next batch.
 */
export class EngineResolver implements Resolver {
  private index: IdentityIndex | null = null;
  private watermark = 0;
  private reviews = '';
  private temps: string[] = [];

  constructor(private readonly config?: DeepPartial<IdentityConfig>) {}

  /** Records linked after the watermark, added to the index (a new one sized for them when `fresh`). */
  private async load(tx: Tx, after: number, fresh = false): Promise<void> {
    const linked = await rows<LinkedRow>(tx, sql`
      select cr.id as crid, cr.citizen_id, cr.record_kind, cr.record_id,
        case when cr.record_kind = 'registration' then r.applicant
             else jsonb_build_object('nik', rr.nik, 'kk', rr.kk, 'fullName', rr.full_name, 'sex', rr.sex,
               'birthDate', rr.birth_date, 'birthPlace', rr.birth_place, 'motherName', rr.mother_name,
               'address', rr.address, 'villageCode', rr.village_code) end as person
      from citizen_records cr
      left join registrations r on cr.record_kind = 'registration' and r.id = cr.record_id
      left join resident_records rr on cr.record_kind = 'resident' and rr.id = cr.record_id
      where cr.id > ${after} order by cr.id`);
    if (fresh) this.index = new IdentityIndex(this.config, { expectedRecords: linked.length });
    for (const l of linked) {
      this.index!.add(String(l.citizen_id), personRecord(l.record_kind, l.record_id, l.person));
      this.watermark = l.crid;
    }
  }

  private async refresh(tx: Tx): Promise<void> {
    const [r] = await rows<{ fp: string }>(tx, sql`
      select count(*) filter (where status <> 'open') || '/' || coalesce(max(decided_at)::text, '') as fp from review_cases`);
    if (!this.index || r!.fp !== this.reviews) {
      this.index = null;
      this.watermark = 0;
      this.reviews = r!.fp;
      await this.load(tx, 0, true);
    } else {
      await this.load(tx, this.watermark);
    }
  }

  async resolve(tx: Tx, inputs: IdentityInput[]) {
    await this.refresh(tx);
    const index = this.index!;
    const kind = inputs[0]?.kind ?? 'registration';
    // Follows merges: a candidate rejected before it was merged stays rejected as its survivor.
    const rejected = await rejectedCandidates(tx, kind, inputs.map((i) => i.recordId));
    const newCitizens = new Map<number, Person>();
    const refOf = (cid: string): CitizenRef => (cid.startsWith(TEMP) ? { newKey: Number(cid.slice(TEMP.length)) } : Number(cid));
    const fresh = (input: IdentityInput): string => {
      const key = newCitizens.size;
      newCitizens.set(key, input.person);
      const cid = `${TEMP}${key}`;
      this.temps.push(cid);
      return cid;
    };

    const decisions = inputs.map((input): IdentityDecision => {
      // Prepared once: looked up, then added under its citizen.
      const rec = prepareRecord(personRecord(input.kind, input.recordId, input.person));
      const res = index.resolvePrepared(rec);
      // A pair a reviewer called different never comes back for the same record.
      const vetoed = res.citizenId !== undefined && !!rejected.get(input.recordId)?.has(Number(res.citizenId));
      let decision: IdentityDecision;
      if (res.outcome === 'match' && !vetoed) {
        decision = { recordId: input.recordId, outcome: 'match', citizen: refOf(res.citizenId!), score: res.score, evidence: compact(res.evidence) };
        index.addPrepared(res.citizenId!, rec);
        return decision;
      }
      const cid = fresh(input);
      index.addPrepared(cid, rec);
      if (res.outcome === 'possible' && !vetoed) {
        return {
          recordId: input.recordId, outcome: 'possible', citizen: refOf(cid), candidateCitizen: refOf(res.citizenId!), score: res.score,
          evidence: compact(res.evidence), reviewEvidence: res.evidence,
        };
      }
      return { recordId: input.recordId, outcome: 'new', citizen: refOf(cid), score: res.score, ...(res.candidates.length ? { evidence: compact(res.evidence) } : {}) };
    });
    return { decisions, newCitizens };
  }

  committed(_decisions: IdentityDecision[], newIds: Map<number, number>, _inputs: IdentityInput[], watermark?: number): void {
    const index = this.index;
    if (!index) return;
    for (const cid of this.temps) {
      const real = newIds.get(Number(cid.slice(TEMP.length)));
      if (real === undefined) index.removeCitizen(cid);
      else index.renameCitizen(cid, String(real));
    }
    this.temps = [];
    if (watermark !== undefined) this.watermark = watermark;
  }

  aborted(): void {
    this.index = null;
    this.temps = [];
  }
}
