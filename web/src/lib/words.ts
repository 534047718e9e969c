// words.ts: the words the console uses for the server's codes (access reasons), so every
// page says "outside its schedule" rather than outside_schedule.

const REASONS: Record<string, string> = {
  granted: 'granted',
  unknown_credential: 'card not enrolled',
  invalid_read: 'unreadable read',
  credential_inactive: 'card revoked, lost, stolen or suspended',
  credential_expired: 'card expired',
  credential_not_yet_valid: 'card not valid yet',
  person_inactive: 'person not active',
  no_access_level: 'no access level for this door',
  outside_schedule: 'outside its schedule',
  holiday: 'holiday',
  door_locked_down: 'door locked down',
  pin_required: 'PIN required',
  pin_incorrect: 'wrong PIN',
  antipassback: 'anti-passback',
  escort_required: 'escort required',
  unknown_door: 'unknown door',
  controller_offline: 'controller offline too long',
};

/** The words for an access reason code (the code itself when it is new to the console). */
export function reasonWords(code: string | null): string {
  return code === null ? '' : (REASONS[code] ?? code.replace(/_/g, ' '));
}
