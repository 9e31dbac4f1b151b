import { commonSettingsProperties, type CommonSettings } from './types.js';
import type { LoginSpec } from './tokenSession.js';

/** Settings of an OpenSID-family API reached with an operator's login and password. */
export interface PasswordLoginSettings extends CommonSettings {
  baseUrl: string;
  password: string;
  pageSize: number;
  /** The server's request limit per user (Laravel `throttle:api`, 60 a minute); sources sharing a user share it. */
  rateLimit: { requests: number; windowSeconds: number };
}

/** The settings schema both OpenSID APIs share; their login fields and page size limit differ. */
export function passwordLoginSchema(maxPageSize: number, login: Record<string, object>, required: string[]) {
  return {
    type: 'object',
    required: ['baseUrl', 'password', ...required],
    additionalProperties: false,
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://' },
      ...login,
      password: { type: 'string', minLength: 1, writeOnly: true },
      pageSize: { type: 'integer', minimum: 1, maximum: maxPageSize, default: maxPageSize },
      rateLimit: {
        type: 'object',
        additionalProperties: false,
        default: { requests: 60, windowSeconds: 60 },
        properties: {
          requests: { type: 'integer', minimum: 1, maximum: 10_000, default: 60 },
          windowSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 60 },
        },
      },
      ...commonSettingsProperties,
    },
  } as const;
}

/** POST {baseUrl}{path} with the login fields and the password. */
export function passwordLogin(s: PasswordLoginSettings, how: {
  path: string; fields: Record<string, string>; user: string; tokenPath: string; lockout: LoginSpec['lockout'];
}): LoginSpec {
  return {
    url: `${s.baseUrl.replace(/\/$/, '')}${how.path}`,
    body: { ...how.fields, password: s.password },
    tokenPath: how.tokenPath,
    timeoutMs: s.timeoutMs,
    user: how.user,
    lockout: how.lockout,
    rateLimit: { requests: s.rateLimit.requests, windowMs: s.rateLimit.windowSeconds * 1000 },
  };
}
