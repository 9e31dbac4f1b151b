import { createHmac, randomBytes } from 'node:crypto';

/** A new endpoint secret in the Standard Webhooks form: `whsec_` + base64 of 32 random bytes. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function key(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per valid secret,
 * space-separated; during a rotation's grace period both secrets sign, so either verifies.
 */
export function signatureHeader(secrets: readonly string[], webhookId: string, timestamp: number, body: string): string {
  const content = `${webhookId}.${timestamp}.${body}`;
  return secrets.map((s) => `v1,${createHmac('sha256', key(s)).update(content).digest('base64')}`).join(' ');
}
