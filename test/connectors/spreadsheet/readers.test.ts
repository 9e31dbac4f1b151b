import t from 'tap';
import { strToU8, zipSync } from 'fflate';
import { readZip } from '../../../src/connectors/spreadsheet/zip.js';
import { readXlsx } from '../../../src/connectors/spreadsheet/xlsx.js';
import { decodeText, readCsv } from '../../../src/connectors/spreadsheet/csv.js';
import { excelSerialToText, residentRows } from '../../../src/connectors/spreadsheet/residentColumns.js';
import { chunkById, problemsCsv, readSheet } from '../../../src/connectors/spreadsheet/residentFile.js';
import { FileRefusal } from '../../../src/connectors/spreadsheet/refusal.js';
import { buildXlsx } from '../opendk/fixtures/opensidFiles.js';

const limits = { maxEntries: 10, maxTotalBytes: 10_000 };
const refusal = (fn: () => unknown): string => {
  try { fn(); } catch (err) { if (err instanceof FileRefusal) return err.code; throw err; }
  return 'none';
};

t.test('ZIP: only safe, bounded archives are read', async (t) => {
  const ok = readZip(zipSync({ 'a.txt': strToU8('halo'), 'dir/b.txt': strToU8('x') }), limits);
  t.same([...ok.keys()].sort(), ['a.txt', 'dir/b.txt']);
  t.equal(new TextDecoder().decode(ok.get('a.txt')), 'halo');
  t.equal(readZip(zipSync({ 'a.txt': strToU8('a'), 'b.jpg': strToU8('b') }), limits, (n) => n.endsWith('.txt')).size, 1, 'unwanted entries are not inflated');
  t.equal(refusal(() => readZip(strToU8('not a zip at all'), limits)), 'FILE_NOT_ZIP');
  for (const name of ['../evil.txt', 'a/../../evil.txt', '/etc/passwd', 'C:\\evil.txt', 'a\\..\\evil.txt']) {
    t.equal(refusal(() => readZip(zipSync({ [name]: strToU8('x') }), limits)), 'ZIP_UNSAFE_PATH', name);
  }
  const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`f${i}`, strToU8('x')]));
  t.equal(refusal(() => readZip(zipSync(eleven), limits)), 'ZIP_TOO_MANY_ENTRIES');
  const bomb = zipSync({ 'big.xml': new Uint8Array(50_000) });
  t.equal(refusal(() => readZip(bomb, limits)), 'ZIP_TOO_LARGE', 'declared size over the budget');
  const lying = bomb.slice();
  new DataView(lying.buffer).setUint32(22, 10, true);
  t.equal(refusal(() => readZip(lying, limits)), 'ZIP_TOO_LARGE', 'a forged size header: inflation stops at the budget');
  const stored = zipSync({ 'big.bin': new Uint8Array(50_000) }, { level: 0 });
  const storedLying = stored.slice();
  new DataView(storedLying.buffer).setUint32(22, 10, true);
  t.equal(refusal(() => readZip(storedLying, limits)), 'ZIP_TOO_LARGE', 'a stored entry is counted as well');
  const whole = zipSync({ 'a.txt': strToU8('x'.repeat(3000)) });
  t.equal(refusal(() => readZip(whole.subarray(0, 60), limits)), 'ZIP_CORRUPT', 'a truncated archive');
});

t.test('XLSX: shared, rich, inline and formula strings; numbers as written; row numbers kept', async (t) => {
  const sheet = readXlsx(buildXlsx([
    ['nama', 'nik', 'angka'],
    ['A & B <C>', '1812014501900001', 3.5],
    [{ inline: 'Inline' }, { formula: 'A2&"x"', cached: 'A & B <C>x' }, 33010],
  ]), 100);
  t.same(sheet.rows, [['nama', 'nik', 'angka'], ['A & B <C>', '1812014501900001', '3.5'], ['Inline', '=A2&"x"', '33010']]);
  t.same(sheet.rowNumbers, [1, 2, 3]);

  // Hand-written sheet: rich-text shared string with a phonetic run, Excel's _x000D_, a gap row, cells without r.
  const files = {
    'xl/workbook.xml': strToU8('<workbook xmlns:r="r"><sheets><sheet name="Data" sheetId="7" r:id="rId3"/></sheets></workbook>'),
    'xl/_rels/workbook.xml.rels': strToU8('<Relationships><Relationship Id="rId3" Target="/xl/worksheets/data.xml"/></Relationships>'),
    'xl/sharedStrings.xml': strToU8('<sst><si><r><t>Sit</t></r><r><rPr/><t xml:space="preserve">i Am</t></r><rPh><t>x</t></rPh></si><si><t>a_x000D_b</t></si></sst>'),
    'xl/worksheets/data.xml': strToU8('<worksheet><sheetData><row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row><row r="4"><c r="C4" t="b"><v>1</v></c><c r="A4" t="str"><v>&#193;</v></c></row><row r="5"><c r="A5"/></row></sheetData></worksheet>'),
  };
  const hand = readXlsx(zipSync(files), 100);
  t.same(hand.rows, [['Siti Am', 'a\rb'], ['Á', '', 'TRUE']]);
  t.same(hand.rowNumbers, [1, 4], 'rows numbered as in the file; empty rows skipped');
  t.equal(refusal(() => readXlsx(zipSync({ 'readme.txt': strToU8('x') }), 100)), 'XLSX_INVALID');
  const many = buildXlsx([['nama'], ...Array.from({ length: 12 }, (_, i) => [`n${i}`])]);
  t.equal(refusal(() => readXlsx(many, 10)), 'FILE_TOO_MANY_ROWS');
});

t.test('CSV: encodings, separators and line numbers', async (t) => {
  t.equal(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), 'A', 'UTF-8 BOM');
  t.equal(decodeText(new Uint8Array([0x4a, 0x4f, 0x53, 0xc9])), 'JOSÉ', 'Windows-1252');
  t.equal(decodeText(new Uint8Array([0x93, 0x41, 0x94])), '\u201cA\u201d', 'Windows-1252 quotes, not Latin-1 controls');
  t.equal(decodeText(new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0xe9, 0x00])), 'Aé', 'UTF-16LE from "Unicode text"');
  t.equal(decodeText(new Uint8Array([0xfe, 0xff, 0x00, 0x41, 0x20, 0xac])), 'A€', 'UTF-16BE');
  t.equal(decodeText(new Uint8Array([0x80, 0x20, 0x8a, 0x9a])), '€ Šš', 'the whole 0x80–0x9F row of Windows-1252');
  const semi = readCsv(strToU8('nama;nik\r\nSiti;1\r\n\r\n"Budi\r\nSantoso";2\r\nAni;3\r\n'), 100);
  t.same(semi.rows, [['nama', 'nik'], ['Siti', '1'], ['Budi\r\nSantoso', '2'], ['Ani', '3']]);
  t.same(semi.rowNumbers, [1, 2, 4, 6], 'line numbers as an editor shows them');
  const lf = readCsv(strToU8('a\tb\n1\t2\n\n"x\ny"\t3\n4\t5\n'), 10);
  t.same(lf.rows, [['a', 'b'], ['1', '2'], ['x\ny', '3'], ['4', '5']], 'tab separated, LF line ends');
  t.same(lf.rowNumbers, [1, 2, 4, 6]);
  t.equal(refusal(() => readCsv(strToU8('nama,nik\n"open,1\n'), 10)), 'CSV_INVALID');
  t.equal(refusal(() => readCsv(strToU8(`nama\n${'x\n'.repeat(20)}`), 10)), 'FILE_TOO_MANY_ROWS');
  t.equal(refusal(() => readSheet(new Uint8Array([0xd0, 0xcf, 0x11, 0xe0]))), 'FILE_XLS_UNSUPPORTED');
  t.equal(refusal(() => readSheet(new Uint8Array([0x00, 0x01, 0x00, 0x02]))), 'FILE_NOT_TEXT');
});

t.test('columns: by name in any order, aliases, serial dates, extra kept; missing or doubled columns refuse', async (t) => {
  t.equal(excelSerialToText(33010), '1990-05-17');
  t.equal(excelSerialToText(45231.5), '2023-11-01 12:00:00');
  const mapped = residentRows({
    rows: [['Tempat_Lahir', 'NAMA', 'No KK', 'tanggallahir', 'agama_id', 'catatan', 'ID'], ['Panaragan', 'Siti', '1812', '33010', '1', 'baru', '7']],
    rowNumbers: [1, 2],
  }, { required: ['fullName'], defaultVillage: '1812012002' });
  t.same(mapped.inputs, [{ localId: '7', villageCode: '1812012002', birthPlace: 'Panaragan', fullName: 'Siti', kk: '1812', birthDate: '1990-05-17', religion: '1', extra: { catatan: 'baru' } }]);
  t.same(mapped.rowNumbers, [2]);
  const byNik = residentRows({ rows: [['nama', 'nik'], ['Siti', '1812 0145 0190 0001']], rowNumbers: [1, 2] }, { required: ['fullName'], defaultVillage: '1812012002', nikAsLocalId: true });
  t.equal(byNik.inputs[0]!.localId, '1812014501900001', 'the NIK is the id when there is no id column');
  t.equal(refusal(() => residentRows({ rows: [['nik', 'alamat'], ['1', 'x']], rowNumbers: [1, 2] }, { required: ['fullName'] })), 'HEADER_MISSING_COLUMN');
  t.equal(refusal(() => residentRows({ rows: [['nama', 'nik', 'nomor_nik'], ['a', '1', '2']], rowNumbers: [1, 2] }, { required: ['fullName'] })), 'HEADER_DUPLICATE');
  t.equal(refusal(() => residentRows({ rows: [['alamat'], ['x']], rowNumbers: [1, 2] }, { required: [], nikAsLocalId: true })), 'HEADER_MISSING_COLUMN', 'neither id nor nik');
});

t.test('chunks keep every row of one id together and hold at most 1,000 rows', async (t) => {
  const inputs = Array.from({ length: 2500 }, (_, i) => ({ localId: String(i), villageCode: '1812012002' }));
  inputs.push({ localId: '5', villageCode: '1812012002' });
  const chunks = chunkById(inputs);
  t.ok(chunks.every((c) => c.length <= 1000));
  t.equal(chunks.flat().length, 2501);
  t.ok(chunks[0]!.includes(2500), 'the repeated id sits with its first occurrence');
});

t.test('the errors CSV neutralises formulas and quotes values', async (t) => {
  const csv = problemsCsv([{ row: 3, localId: '=cmd', status: 'quarantined', errors: [{ code: 'X', field: 'nama', message: { id: 'Salah, "ya"', en: 'Wrong' } }] }]);
  t.equal(csv.replace(/^\ufeff/, '').split('\r\n')[1], `3;'=cmd;quarantined;error;X;nama;"Salah, ""ya""";Wrong;`);
});

t.test('XLSX XML is read by a real parser: CDATA, comments, quotes; entity bombs and broken XML refused', async (t) => {
  const sheet = (data: string, prolog = '') => zipSync({
    'xl/workbook.xml': strToU8('<workbook xmlns:r="r"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>'),
    'xl/_rels/workbook.xml.rels': strToU8('<Relationships><Relationship Id=\'rId1\' Target=\'worksheets/sheet1.xml\'/></Relationships>'),
    'xl/worksheets/sheet1.xml': strToU8(`${prolog}<worksheet><sheetData>${data}</sheetData></worksheet>`),
  });
  const read = readXlsx(sheet('<row r="1"><!-- a comment --><c r="A1" t="inlineStr"><is><t><![CDATA[SITI <ICAH>]]></t></is></c><c r=\'B1\' t=\'inlineStr\'><is><t>A &amp; B &#x41;_x000D_</t></is></c></row>'), 10);
  t.same(read.rows, [['SITI <ICAH>', 'A & B A\r']], 'CDATA, comments, single-quoted attributes, entities and Excel escapes');
  const laughs = '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>';
  t.equal(refusal(() => readXlsx(sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t></is></c></row>', laughs), 10)), 'XLSX_INVALID', 'declared entities are never expanded');
  t.equal(refusal(() => readXlsx(sheet('<row r="1"><c r="A1"><v>1</v></row>'), 10)), 'XLSX_INVALID', 'mismatched tags');
});
