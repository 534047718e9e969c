// incidents.ts: the shapes of alarms, incidents, the directory and drills as the API gives
// them (docs/api/openapi.yaml), and the words the console uses for them.

export interface Alarm {
  id: number;
  type: string;
  key: string;
  severity: number;
  status: 'open' | 'acknowledged' | 'cleared';
  detail: string;
  door_id: number | null;
  person_id: number | null;
  credential_id: number | null;
  controller_id: number | null;
  first: string;
  last: string;
  raised: string;
  count: number;
  event: number | null;
  acknowledged: { at: string; by: string } | null;
  cleared: { at: string; by: string } | null;
  incident_id: number | null;
  drill_id: number | null;
}

export type IncidentStatus = 'new' | 'acknowledged' | 'investigating' | 'resolved' | 'closed';
export const STATUSES: IncidentStatus[] = ['new', 'acknowledged', 'investigating', 'resolved', 'closed'];

export interface Step {
  number: number;
  text: string;
  required: boolean;
  state: 'open' | 'done' | 'skipped';
  reason: string | null;
  by: string | null;
  at: string | null;
}

export interface Incident {
  id: number;
  type: string;
  title: string;
  severity: number;
  status: IncidentStatus;
  department_id: number | null;
  department: string | null;
  opened: string;
  updated: string;
  acknowledged: string | null;
  resolved: string | null;
  closed: string | null;
  escalation_level: number;
  escalates: string | null;
  drill_id: number | null;
  next: IncidentStatus[];
  steps?: Step[];
  timeline?: { id: number; at: string; who: string; kind: string; text: string }[];
  links?: { kind: string; ref: string }[];
  assignees?: { id: number; name: string }[];
  alarms?: Alarm[];
  attachments?: { id: number; name: string; mime: string; size: number; sha256: string; by: string; at: string }[];
}

export interface Contact {
  id: number;
  department_id: number;
  level: number;
  name: string;
  role: string | null;
  email: string | null;
  webhook: string | null;
  phone: string | null;
}

export interface DirectoryEntry {
  department_id: number;
  department: string;
  escalate_after_s: number;
  contacts: Contact[];
}

export interface Drill {
  id: number;
  scenario: string;
  started: string;
  by: string;
}

export interface DrillRow {
  incident: number;
  title: string;
  status: string;
  alarm: string;
  to_alarm_s: number | null;
  to_acknowledge_s: number | null;
  to_resolve_s: number | null;
}

export interface DrillReport extends Drill {
  departments: Record<string, DrillRow[]>;
}

export const SEVERITY = ['', 'low', 'minor', 'moderate', 'major', 'critical'];

export function severityWords(n: number): string {
  return SEVERITY[n] ?? String(n);
}

/** The button's words for moving an incident to a status. */
export const MOVE_WORDS: Record<IncidentStatus, string> = {
  new: 'Reopen',
  acknowledged: 'Acknowledge',
  investigating: 'Investigate',
  resolved: 'Resolve',
  closed: 'Close',
};

export function alarmWords(type: string): string {
  return type.replace(/_/g, ' ');
}

export function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '';
}

export function seconds(s: number | null): string {
  if (s === null) return 'not yet';
  return s < 90 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

/** Who did something, as people say it: a signed-in user by their name ("user:olga" is
 * olga); an API token or the command line as recorded ("token:sync", "local:root"). */
export function who(name: string | null | undefined): string {
  return name ? name.replace(/^user:/, '') : '';
}
