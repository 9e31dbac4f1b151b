import { commonSettingsProperties, type CommonSettings } from './types.js';
import type { LoginSpec } from './tokenSession.js';

/** Settings of an OpenSID-family API reached with an operator's email and password. */
export interface PasswordLoginSettings extends CommonSettings { baseUrl: string; email: string; password: string; pageSize: number }

/** The settings schema both OpenSID APIs share; only their page size limit differs. */
export function passwordLoginSchema(maxPageSize: number) {
  return {
    type: 'object',
    required: ['baseUrl', 'email', 'password'],
    additionalProperties: false,
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://' },
      email: { type: 'string', minLength: 1 },
      password: { type: 'string', minLength: 1, writeOnly: true },
      pageSize: { type: 'integer', minimum: 1, maximum: maxPageSize, default: maxPageSize },
      ...commonSettingsProperties,
    },
  } as const;
}

/** POST {baseUrl}{path} with email and password; the bearer comes back as access_token. */
export const passwordLogin = (path: string) => (s: PasswordLoginSettings): LoginSpec => ({
  url: `${s.baseUrl.replace(/\/$/, '')}${path}`, body: { email: s.email, password: s.password }, tokenPath: 'access_token', timeoutMs: s.timeoutMs,
});
