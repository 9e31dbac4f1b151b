/** WIB (UTC+7): the MPP's working day starts and ends on Lampung's clock. */
const WIB_MS = 7 * 3600_000;

/**
 * The moment a service level of `days` working days (Monday–Friday) runs out for an item routed at
 * `from`: the end of the `days`-th working day after the day of routing (public holidays are not known
 * to the hub and count as working days).
 */
export function dueAt(from: Date, days: number): Date {
  const local = new Date(from.getTime() + WIB_MS);
  local.setUTCHours(0, 0, 0, 0);
  let left = days;
  while (left > 0) {
    local.setUTCDate(local.getUTCDate() + 1);
    const dow = local.getUTCDay();
    if (dow !== 0 && dow !== 6) left--;
  }
  return new Date(local.getTime() + 24 * 3600_000 - 1 - WIB_MS);
}
