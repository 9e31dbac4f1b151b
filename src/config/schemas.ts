/** JSON Schemas of the files under config/. The same Ajv instance checks them at start and in tests. */

export const APPLICANT_FIELDS = [
  'nik', 'kk', 'fullName', 'sex', 'birthDate', 'birthPlace', 'motherName',
  'address', 'rt', 'rw', 'dusun', 'villageCode', 'phone',
] as const;
export type ApplicantField = (typeof APPLICANT_FIELDS)[number];

export const LEVELS = ['kabupaten', 'kecamatan'] as const;
export type Level = (typeof LEVELS)[number];

export const agenciesFileSchema = {
  type: 'object',
  required: ['agencies'],
  additionalProperties: false,
  properties: {
    agencies: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['code', 'name', 'levels'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,31}$' },
          name: { type: 'string', minLength: 3, maxLength: 200 },
          shortName: { type: 'string', minLength: 1, maxLength: 60 },
          levels: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: LEVELS } },
        },
      },
    },
  },
} as const;

export const servicesFileSchema = {
  type: 'object',
  required: ['services'],
  additionalProperties: false,
  properties: {
    services: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['code', 'name', 'agency', 'level', 'requiredApplicantFields', 'serviceLevelDays', 'holdUntilIdentityResolved'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{1,47}$' },
          name: { type: 'string', minLength: 3, maxLength: 200 },
          agency: { type: 'string' },
          level: { enum: LEVELS },
          requiredApplicantFields: {
            type: 'array', uniqueItems: true, contains: { const: 'fullName' }, items: { enum: APPLICANT_FIELDS },
          },
          detailsSchema: { type: 'object' },
          /** The agency's promised time (standar pelayanan), in working days from routing; past it the item is flagged. */
          serviceLevelDays: { type: 'integer', minimum: 1, maximum: 365 },
          holdUntilIdentityResolved: { type: 'boolean' },
        },
      },
    },
  },
} as const;

export const sourcesFileSchema = {
  type: 'object',
  required: ['sources'],
  additionalProperties: false,
  properties: {
    sources: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'connector'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{1,63}$' },
          name: { type: 'string', maxLength: 200 },
          villageCode: { type: 'string' },
          kecamatanCode: { type: 'string' },
          connector: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,31}$' },
          enabled: { type: 'boolean', default: true },
          schedule: { type: 'string', maxLength: 100 },
          settings: { type: 'object', default: {} },
        },
      },
    },
  },
} as const;
