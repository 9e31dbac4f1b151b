import t from 'tap';
import { explainEvidence, IdentityIndex, type PersonRecord } from '../../../src/pipeline/identity/index.js';

t.test('evidence in words: guards first, then fields by the weight they added, Indonesian and English', async (t) => {
  const twin: PersonRecord = { id: 'a', fullName: 'Rina Lestari', sex: 'F', birthDate: '2015-05-05', motherName: 'Sumarni', kk: '1812011203150007', villageCode: '1812012002' };
  const idx = new IdentityIndex();
  idx.add('A', twin);
  const res = idx.resolve({ ...twin, id: 'b', fullName: 'Rini Lestari' });
  const lines = explainEvidence(res.candidates[0]!.evidence);
  t.equal(lines[0]!.field, 'guard', 'a guard leads');
  t.match(lines[0]!.id, /kembar/);
  const fields = lines.filter((l) => l.field !== 'guard');
  t.same(fields.map((l) => Math.abs(l.weight)), [...fields.map((l) => Math.abs(l.weight))].sort((a, b) => b - a), 'strongest first');
  t.ok(fields.some((l) => l.field === 'kk' && l.id === 'No. KK sama'));
  t.notOk(fields.some((l) => l.field === 'nik'), 'a field neither record has is left out');
});

t.test('evidence as stored may lack parts', async (t) => {
  t.same(explainEvidence(null), []);
  t.same(explainEvidence({ score: 3 }), []);
  t.same(explainEvidence({ fields: [{ field: 'name', a: 'x', b: 'y', level: 'phonetic', weight: 8.1 }] }).map((l) => l.id), ['Nama sama, ejaan berbeda']);
});
