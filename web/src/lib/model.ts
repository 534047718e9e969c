// model.ts: the shapes of the server's policy objects as the API returns them (see
// docs/api/openapi.yaml), shared by the pages that show or edit them.

export interface Site {
  id: number;
  name: string;
  timezone: string;
}

export interface Area {
  id: number;
  site_id: number;
  parent_id: number | null;
  name: string;
  apb: 'none' | 'soft' | 'hard';
  locked_down: boolean;
}

export interface Door {
  id: number;
  site_id: number;
  name: string;
  from_area_id: number | null;
  to_area_id: number | null;
  mode: 'card' | 'card_pin' | 'unlocked_schedule' | 'locked_down';
  unlock_schedule_id: number | null;
  unlock_ms: number;
  held_open_s: number;
  fail: 'secure' | 'safe';
  escort_required: boolean;
  entry_reader: boolean;
  exit_reader: boolean;
}

export interface Schedule {
  id: number;
  name: string;
  calendar_id: number | null;
  intervals: string[];
}

export interface Calendar {
  id: number;
  name: string;
}

export interface Holiday {
  calendar_id: number;
  date: string;
  name: string;
}

export interface Level {
  id: number;
  name: string;
}

export interface LevelDoor {
  level_id: number;
  door_id: number;
  schedule_id: number;
}

/** id -> name for a list (for showing references by name). */
export function names<T extends { id: number; name: string }>(rows: T[]): Map<number, string> {
  return new Map(rows.map((r) => [r.id, r.name]));
}
